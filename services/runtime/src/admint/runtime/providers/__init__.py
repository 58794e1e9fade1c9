"""Provider ports (PlannerModel, ImageModel, VideoModel, MusicModel) and their implementations."""
