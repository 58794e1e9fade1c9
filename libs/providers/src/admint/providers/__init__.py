"""Model ports (PlannerModel, ImageModel, VideoModel, MusicModel), the registry and the cloud adapters."""
