"""Perception files: COCO, YOLO and Pascal VOC read into projects of boxes or polygons (COCO
also keypoints) and written out of them."""

#: file format → the primitives it serves
FORMATS = {"coco": ("boxes", "polygons", "keypoints"), "yolo": ("boxes",), "voc": ("boxes",)}
