"""Pages people look at rather than read: the timeline, the map and the downloads page, each with its twins."""
