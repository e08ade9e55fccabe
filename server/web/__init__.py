"""The pages for people (HTML, each with machine twins): home and about, entities, saved-query pages, the
ministry network, the query editor, the timeline, the map, the downloads page and the favicon. Shared rendering
helpers live in :mod:`.render`."""
