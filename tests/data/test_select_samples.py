import pytest

from edge_segnet.data.datasets import select_samples, split_label
from edge_segnet.errors import DataError



def test_splits_join_with_plus_and_a_held_out_sequence_is_left_out_of_training(two_drives):
    training = select_samples(two_drives, "train+val", sequences=("-", ["B"]))
    held_out = select_samples(two_drives, "train+val", sequences=("+", ["B"]))
    assert [s.name for s in training] == ["A_001", "A_002", "A_003"]
    assert [s.name for s in held_out] == ["B_001", "B_002", "B_003"]


def test_an_unknown_sequence_is_refused_naming_the_ones_there(two_drives):
    with pytest.raises(DataError, match="sequence C not in split train.*A, B"):
        select_samples(two_drives, "train", sequences=("+", ["C"]))


def test_split_label_names_the_filter_so_caches_do_not_mix():
    assert split_label("train") == "train"
    assert split_label("train+val", ("-", ["0006R0"])) == "train+val-without-0006R0"
    assert split_label("train", ("+", ["0006R0"])) != split_label("train", ("-", ["0006R0"]))
