"""The pages for people (HTML, each with machine twins): home and about, entities, saved-query pages, the
ministry network, the query editor, downloads. Shared rendering helpers live in :mod:`.render`."""
