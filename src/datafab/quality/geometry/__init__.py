"""Consensus geometry for perception work: overlap of boxes and polygons, matching objects
across annotators, and fusing them with the annotators' measured skill."""

from .fusion import Consensus, FusedBoxes, FusedPolygons, fuse_boxes, fuse_polygons, vote_classes
from .matching import count_matches, f1, match_objects
from .outline import outline
from .shapes import (
    bounding_box,
    box_iou,
    polygon_area,
    polygon_iou,
    polygon_ious,
    raster_grid,
    rasterise,
    self_intersection,
)
from .tracks import FusedTracks, dense, fuse_tracks, keyframes_of, track_ious

__all__ = [
    "Consensus", "FusedBoxes", "FusedPolygons", "bounding_box", "box_iou", "count_matches",
    "f1", "fuse_boxes", "fuse_polygons", "match_objects", "outline", "polygon_area",
    "polygon_iou", "polygon_ious", "raster_grid", "rasterise", "self_intersection",
    "vote_classes", "FusedTracks", "dense", "fuse_tracks", "keyframes_of", "track_ious",
]
