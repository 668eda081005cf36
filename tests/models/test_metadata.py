from edge_segnet.models import labels, metadata, zoo


def test_zoo_models_record_labels_palette_normalisation_and_size():
    model = zoo.create("segnet-basic", input_size=(64, 96), class_count=12)
    keys = {entry.key for entry in model.metadata_props}
    assert {"edge_segnet.labels", "edge_segnet.palette", "edge_segnet.mean", "edge_segnet.std",
            "edge_segnet.input_size", "edge_segnet.architecture"} <= keys
    info = metadata.ModelInfo.from_model(model)
    assert info.labels == labels.camvid()
    assert info.input_size == (64, 96)
    assert info.mean == metadata.DEFAULT_MEAN
    assert info.architecture == "segnet-basic"


def test_a_model_without_metadata_gets_camvid_sized_to_its_classes():
    model = zoo.create("segnet-basic", class_count=5)
    del model.metadata_props[:]
    info = metadata.ModelInfo.from_model(model, class_count=5)
    assert info.labels.names == labels.camvid().names[:5]
    assert info.input_size is None


def test_set_props_replaces_existing_keys():
    model = zoo.create("segnet-basic")
    metadata.set_props(model, {"edge_segnet.architecture": '"custom"', "other": "1"})
    props = {entry.key: entry.value for entry in model.metadata_props}
    assert props["edge_segnet.architecture"] == '"custom"'
    assert props["other"] == "1"
    assert len([e for e in model.metadata_props if e.key == "edge_segnet.architecture"]) == 1
