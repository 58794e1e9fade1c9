"""Exporter settings (env prefix ADMINT_)."""

from typing import Literal

from pydantic import Field

from admint.core.settings import CoreSettings
from admint.exporter.renditions import Policy


class ExporterSettings(CoreSettings):
    service_name: str = Field(default="exporter", description="Name in logs, metrics and event producers.")
    rendition_method: Literal["auto", "crop", "pad"] = Field(
        default="auto", description="How other aspects are made: auto picks crop or blurred-background pad."
    )
    crop_min_area: float = Field(
        default=0.5, description="auto crops only when it keeps this share of the picture's area.", ge=0, le=1
    )
    crop_min_detail: float = Field(
        default=0.8, description="… and this share of its detail (edge energy, captions included).", ge=0, le=1
    )
    crop_centre_pull: float = Field(default=0.15, description="Preference of crops for the centre.", ge=0, le=1)
    poster_quality: int = Field(default=90, description="Poster JPEG quality.", ge=50, le=100)
    thumbnail_long_side: int = Field(default=480, description="Thumbnail's longer side, pixels.", ge=64, le=1080)
    cleanup_intermediates: bool = Field(
        default=False, description="Delete chunks and their last frames once the export succeeded."
    )
    frame_tolerance: int = Field(default=1, description="Spec check duration tolerance, frames.", ge=0, le=5)

    def policy(self) -> Policy:
        return Policy(self.rendition_method, self.crop_min_area, self.crop_min_detail, self.crop_centre_pull)
