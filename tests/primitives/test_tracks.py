from __future__ import annotations

import numpy as np
import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote
from datafab.quality.geometry import dense, keyframes_of, track_ious

from .conftest import settle

TRACKS = get_primitive("tracks")
SETTINGS = TRACKS.parse_settings({"labels": ["car", "person"]})
ITEM = TRACKS.parse_item(SETTINGS, {"frames": [f"clip/{i:03d}.jpg" for i in range(30)],
                                    "width": 200, "height": 100})


def _car(shift=0.0, last=20, label="car", tid="1"):
    return {"id": tid, "label": label, "keyframes": [
        {"frame": 0, "x": 10 + shift, "y": 10, "w": 20, "h": 20},
        {"frame": last, "x": 110 + shift, "y": 10, "w": 20, "h": 20},
        {"frame": last + 5, "outside": True}]}


def test_interpolation_between_keyframes():
    track = dense([(0, np.array([0, 0, 10, 10.])), (4, np.array([40, 0, 10, 10.])),
                   (6, None)], 8)
    assert track[2].tolist() == [20, 0, 10, 10]
    assert np.isnan(track[5, 0]) and np.isnan(track[7, 0])
    assert [f for f, _ in keyframes_of(track)] == [0, 4, 5]  # in view 0…4, out at 5
    bent = dense([(0, np.array([0, 0, 10, 10.])), (4, np.array([40, 0, 10, 10.])),
                  (8, np.array([40, 40, 10, 10.]))], 9)
    assert [f for f, _ in keyframes_of(bent)] == [0, 4, 8]
    assert track_ious(np.stack([track, track]))[0, 1] == 1.0


def test_item_needs_frames_or_a_video_with_its_rate():
    assert TRACKS.parse_item(SETTINGS, {"video": "clips/a.mp4", "frame_count": 90, "fps": 30})
    for bad in ({"video": "clips/a.mp4"}, {}, {"frames": ["../x.jpg"]},
                {"frames": ["a.jpg"], "video": "a.mp4", "frame_count": 1, "fps": 1}):
        with pytest.raises(InvalidInput):
            TRACKS.parse_item(SETTINGS, bad)


@pytest.mark.parametrize(("track", "field"), [
    ({**_car(tid="2"), "keyframes": [{"frame": 5, "x": 1, "y": 1, "w": 5, "h": 5},
                              {"frame": 5, "x": 2, "y": 1, "w": 5, "h": 5}]},
     "answer.tracks.1.keyframes.1.frame"),
    ({**_car(tid="2"), "keyframes": [{"frame": 30, "x": 1, "y": 1, "w": 5, "h": 5}]},
     "answer.tracks.1.keyframes.0.frame"),
    ({**_car(tid="2"), "keyframes": [{"frame": 0, "x": 1, "y": 1, "w": 0, "h": 5}]},
     "answer.tracks.1.keyframes.0.w"),
    ({**_car(tid="2"), "keyframes": [{"frame": 0, "x": 190, "y": 1, "w": 20, "h": 5}]},
     "answer.tracks.1.keyframes.0.w"),
    ({**_car(tid="2"), "keyframes": [{"frame": 0, "x": 1, "y": 1}]},
     "answer.tracks.1.keyframes.0.w"),
    ({**_car(tid="2"), "keyframes": [{"frame": 0, "outside": True}]},
     "answer.tracks.1.keyframes.0"),
    (_car(tid="a", label="truck"), "answer.tracks.1.label"),
    (_car(), "answer.tracks.1.id"),
])
def test_bad_track_is_named(track, field):
    with pytest.raises(InvalidInput) as err:
        TRACKS.parse_answer(SETTINGS, ITEM, {"tracks": [_car(), track]})
    assert err.value.field == field


def test_aggregation_fuses_tracks_and_drops_a_ghost():
    ghost = {"id": "9", "label": "person", "keyframes": [
        {"frame": 3, "x": 150, "y": 50, "w": 10, "h": 10}, {"frame": 6, "outside": True}]}
    votes = [Vote(1, {"tracks": [_car()]}), Vote(2, {"tracks": [_car(shift=2)]}),
             Vote(3, {"tracks": [_car(shift=4, label="person", tid="x"), ghost]})]
    outcome = TRACKS.aggregate(SETTINGS, ITEM, votes)
    [track] = outcome.answer["tracks"]
    assert track["label"] == "car"
    keys = track["keyframes"]
    assert [k["frame"] for k in keys] == [0, 20, 21]  # in view to frame 20, as all drew
    assert keys[0]["x"] == pytest.approx(12.0) and keys[1]["x"] == pytest.approx(112.0)
    assert keys[2] == {"frame": 21, "outside": True}
    counts = {a["contributor"]: a for a in outcome.details["annotators"]}
    assert counts[3]["false_positives"] == 1 and counts[3]["wrong_class"] == 1


def test_gold_and_export():
    gold = {"tracks": [_car()]}
    assert TRACKS.matches_gold(SETTINGS, {"tracks": [_car(shift=2)]}, gold)
    assert not TRACKS.matches_gold(SETTINGS, {"tracks": [_car(last=5)]}, gold)
    assert not TRACKS.matches_gold(SETTINGS, {"tracks": []}, gold)
    record = settle(TRACKS, SETTINGS, ITEM, [{"tracks": [_car()]}])
    row = TRACKS.export_row("records", SETTINGS, record)
    assert row["frame_count"] == 30 and row["tracks"][0]["label"] == "car"
