import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tl_helpers import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_public_names():
    assert plotting.__all__ == [
        "plot_history", "plot_label_efficiency", "plot_confusion_matrix", "plot_image_grid",
        "plot_embedding", "plot_model_selection",
    ]


def test_no_function_calls_show(monkeypatch):
    def fail():
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", fail)
    plotting.plot_history({"loss": [1.0, 0.5]}, metrics="loss")
    plotting.plot_label_efficiency({"a": {1: [0.5]}})
    plotting.plot_confusion_matrix([0, 1], [0, 1])
    plotting.plot_image_grid(np.zeros((2, 4, 4)))
    plotting.plot_embedding(np.zeros((3, 2)), [0, 1, 0])
    plotting.plot_model_selection([dict(name="a", latency_ms=1, accuracy=0.5, size_mb=1)])


# ------------------------------------------------------------------------------ plot_history
LOGS = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.3, 0.6, 0.8]}


def test_plot_history_one_panel_per_metric_with_validation():
    fig = plotting.plot_history(LOGS)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss, acc = fig.axes
    assert len(loss.get_lines()) == 2  # train + validation loss
    assert len(acc.get_lines()) == 1  # no val_accuracy
    np.testing.assert_array_equal(loss.get_lines()[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(loss.get_lines()[1].get_ydata(), LOGS["val_loss"])
    assert all(float(t).is_integer() for t in loss.get_xticks())
    assert loss.get_lines()[1].get_linestyle() == "--"
    assert (loss.get_ylabel(), acc.get_ylabel()) == ("loss", "accuracy")


def test_plot_history_single_metric_returns_axes():
    ax = plotting.plot_history(LOGS, metrics="loss")
    assert isinstance(ax, Axes) and len(ax.get_lines()) == 2


def test_plot_history_accepts_a_keras_history_and_an_axes():
    class History:  # the attribute Keras' History has
        history = LOGS

    _, ax = plt.subplots()
    assert plotting.plot_history(History(), ax=ax) is ax
    assert len(ax.get_lines()) == 3  # every metric on the given Axes
    assert ax.get_ylabel() == "loss, accuracy"


def test_plot_history_errors():
    with pytest.raises(ValueError, match=r'Argument `metrics`.*Did you mean "accuracy"\?'):
        plotting.plot_history({"loss": [1], "accuracy": [0.5]}, metrics=["acuracy"])
    with pytest.raises(ValueError, match="Available: loss, accuracy"):
        plotting.plot_history({"loss": [1], "val_loss": [1], "accuracy": [0.5]},
                              metrics=["val_loss"])
    with pytest.raises(ValueError, match="Argument `metrics` must name at least one"):
        plotting.plot_history(LOGS, metrics=[])
    with pytest.raises(TypeError, match="Argument `metrics` must be a metric name"):
        plotting.plot_history(LOGS, metrics=[1])
    with pytest.raises(TypeError, match="Argument `history` must be a keras History or a dict"):
        plotting.plot_history([1, 2, 3])
    with pytest.raises(TypeError, match=r"Argument `history` must hold a list of numbers"):
        plotting.plot_history({"loss": ["a", "b"]}, metrics="loss")
    with pytest.raises(TypeError, match="Argument `ax` must be a matplotlib Axes"):
        plotting.plot_history(LOGS, ax="left")


# --------------------------------------------------------------------- plot_label_efficiency
RESULTS = {"scratch": {10: [0.7, 0.72], 5: [0.5, 0.6], 30: [0.8]},
           "transfer": {5: [0.8, 0.82], 10: [0.9, 0.88], 30: [0.95]}}


def test_plot_label_efficiency_one_line_and_band_per_method():
    ax = plotting.plot_label_efficiency(RESULTS, title="faces")
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2  # line + std band each
    assert [line.get_label() for line in ax.get_lines()] == ["scratch", "transfer"]
    assert ax.get_xscale() == "log" and ax.get_title() == "faces"
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), [5, 10, 30])  # sorted by budget
    np.testing.assert_allclose(line.get_ydata(), [0.55, 0.71, 0.8])
    np.testing.assert_allclose(ax.get_xticks(), [5, 10, 30])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5", "10", "30"]
    assert len(ax.get_legend().get_texts()) == 2


def test_plot_label_efficiency_band_is_plus_minus_std():
    ax = plotting.plot_label_efficiency({"a": {1: [0.4, 0.6], 2: [0.7, 0.7]}})
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.4) and band[:, 1].max() == pytest.approx(0.7)


def test_plot_label_efficiency_on_given_axes():
    _, ax = plt.subplots()
    assert plotting.plot_label_efficiency(RESULTS, ax) is ax
    assert ax.get_title() == ""


def test_plot_label_efficiency_errors():
    with pytest.raises(ValueError, match="Argument `results` must be a non-empty dict"):
        plotting.plot_label_efficiency({})
    with pytest.raises(TypeError, match="Argument `results` must be a dict"):
        plotting.plot_label_efficiency([0.5, 0.6])
    with pytest.raises(ValueError, match=r"Argument `results`.*results\['a'\]=\[0.5\]"):
        plotting.plot_label_efficiency({"a": [0.5]})
    with pytest.raises(ValueError, match="positive numbers of labels per class"):
        plotting.plot_label_efficiency({"a": {0: [0.5]}})
    with pytest.raises(ValueError, match=r"at least one accuracy.*results\['a'\]\[5\]"):
        plotting.plot_label_efficiency({"a": {5: []}})


# --------------------------------------------------------------------- plot_confusion_matrix
def test_plot_confusion_matrix_normalised_rows():
    ax = plotting.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], class_names=["a", "b"])
    assert isinstance(ax, Axes) and len(ax.images) == 1
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.5, 0.5], [0, 1]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert ax.get_ylabel() == "True label"


def test_plot_confusion_matrix_counts_every_named_class_and_given_axes():
    _, ax = plt.subplots()
    out = plotting.plot_confusion_matrix([0, 0, 1], [0, 1, 1], ["a", "b", "c"], ax=ax,
                                         normalize=False)
    assert out is ax
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 1, 0], [0, 0, 0]])


def _text_boxes(ax):
    ax.figure.canvas.draw()
    return [t.get_window_extent() for t in ax.texts]


def test_plot_confusion_matrix_shows_percentages_and_blank_empty_cells():
    ax = plotting.plot_confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], class_names=["a", "b"])
    assert [t.get_text() for t in ax.texts] == ["67", "33", "100"]  # no text for the 0 cell
    assert "%" in ax.get_xlabel()
    ax = plotting.plot_confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], normalize=False)
    assert [t.get_text() for t in ax.texts] == ["2", "1", "1"]


@pytest.mark.parametrize("figsize,ncols,suptitle", [
    ((11, 4.6), 2, True), ((4, 3), 1, False), ((20, 10), 1, False), ((6, 4), 1, True),
], ids=["two_panels_as_in_01", "small", "large", "medium_with_suptitle"])
def test_plot_confusion_matrix_numbers_do_not_overlap(figsize, ncols, suptitle):
    rng = np.random.default_rng(0)
    names = ["brick", "grass", "gravel", "cell", "ihc", "retina", "moon", "coins",
             "hubble_deep_field", "microaneurysms"]
    y_true = np.repeat(np.arange(10), 30)
    y_pred = np.where(rng.random(300) < 0.5, y_true, rng.integers(0, 10, 300))
    y_pred[:30] = 0  # a 100 % cell: the widest number
    fig, axes = plt.subplots(1, ncols, figsize=figsize, layout="constrained", squeeze=False)
    for ax in axes[0]:
        plotting.plot_confusion_matrix(y_true, y_pred, class_names=names, ax=ax)
    if suptitle:
        fig.suptitle("a title added afterwards")  # shrinks the Axes a little
    for ax in axes[0]:
        boxes = _text_boxes(ax)
        sizes = {t.get_fontsize() for t in ax.texts}
        assert len(sizes) <= 1 and all(5 <= s <= 10 for s in sizes)
        for i, a in enumerate(boxes):
            assert not any(a.overlaps(b) for b in boxes[i + 1:]), "cell numbers overlap"
        if boxes:  # every number inside the Axes
            frame = ax.get_window_extent()
            assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)
    assert len(axes[0][0].texts) > 0 or figsize == (4, 3)


def _pixels(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_plot_confusion_matrix_hides_numbers_that_cannot_fit():
    y = np.arange(40)
    drawn = []
    for keep_numbers in (True, False):
        fig, ax = plt.subplots(figsize=(3, 3), layout="constrained")
        plotting.plot_confusion_matrix(y, (y + 1) % 40, ax=ax)
        assert len(ax.texts) == 40
        if not keep_numbers:
            for text in list(ax.texts):
                text.remove()
        drawn.append(_pixels(fig))
    np.testing.assert_array_equal(*drawn)  # colours only: 40 classes in 3 inches


def test_plot_confusion_matrix_numbers_follow_the_final_layout():
    y_true, y_pred = np.repeat(np.arange(10), 3), np.repeat(np.arange(10), 3)
    fig, ax = plt.subplots(figsize=(3, 3), layout="constrained")
    plotting.plot_confusion_matrix(y_true, y_pred, ax=ax)
    fig.canvas.draw()
    before = ax.texts[0].get_fontsize()
    fig.set_size_inches(8, 8)  # a bigger figure after plotting: bigger cells, bigger numbers
    fig.canvas.draw()
    assert ax.texts[0].get_fontsize() > before


def test_plot_confusion_matrix_errors():
    with pytest.raises(ValueError, match="`y_true` and `y_pred` must be non-empty and of the same"):
        plotting.plot_confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="non-empty"):
        plotting.plot_confusion_matrix([], [])
    with pytest.raises(ValueError, match=r"Argument `y_true` must be 1-D"):
        plotting.plot_confusion_matrix([[0, 1]], [[0, 1]])
    with pytest.raises(ValueError, match=r"Argument `class_names`.*`y_pred` holds indices \[2\]"):
        plotting.plot_confusion_matrix([0, 1], [0, 2], class_names=["a", "b"])
    with pytest.raises(TypeError, match="Argument `normalize` must be True or False"):
        plotting.plot_confusion_matrix([0, 1], [0, 1], normalize="true")


# --------------------------------------------------------------------------- plot_image_grid
def test_plot_image_grid_counts_and_titles():
    images = np.random.default_rng(0).integers(0, 255, (40, 8, 8, 3), dtype=np.uint8)
    fig = plotting.plot_image_grid(images, labels=np.arange(40) % 2, class_names=["x", "y"],
                                   ncols=8, max_images=20, title="batch")
    assert isinstance(fig, Figure) and len(fig.axes) == 24  # 3 rows of 8
    shown = [a for a in fig.axes if a.images]
    assert len(shown) == 20
    assert [a.get_title() for a in shown[:3]] == ["x", "y", "x"]
    assert fig.get_suptitle() == "batch"
    np.testing.assert_allclose(shown[0].images[0].get_array(), images[0] / 255)


@pytest.mark.parametrize("shape", [(3, 8, 8), (3, 8, 8, 1)])
def test_plot_image_grid_grayscale_fewer_images_than_columns(shape):
    fig = plotting.plot_image_grid(np.zeros(shape, dtype=np.uint8), labels=[0, 1, 2])
    assert len(fig.axes) == 3 and all(a.images for a in fig.axes)
    assert [a.get_title() for a in fig.axes] == ["0", "1", "2"]
    assert fig.axes[0].images[0].get_array().shape == (8, 8)


def test_plot_image_grid_float_images():
    fig = plotting.plot_image_grid(np.full((2, 4, 4, 3), 0.5), ncols=1)
    assert len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), 0.5)
    fig = plotting.plot_image_grid(np.full((1, 4, 4, 3), 127.5, dtype=np.float32))  # 0-255
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), 0.5)


def test_plot_image_grid_errors():
    with pytest.raises(ValueError, match=r"Argument `images`.*images.shape=\(3, 8, 8, 2\)"):
        plotting.plot_image_grid(np.zeros((3, 8, 8, 2)))
    with pytest.raises(ValueError, match=r"Argument `images`.*images.shape=\(8, 8\)"):
        plotting.plot_image_grid(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="Argument `images` must hold at least one image"):
        plotting.plot_image_grid(np.zeros((0, 8, 8)))
    with pytest.raises(TypeError, match="Argument `images` must hold numbers"):
        plotting.plot_image_grid(np.array([[["a"]]]))
    with pytest.raises(ValueError, match="Argument `images` must hold floats in 0-1"):
        plotting.plot_image_grid(np.full((1, 4, 4), -1.0))
    with pytest.raises(ValueError, match="`images` and `labels` must have the same length"):
        plotting.plot_image_grid(np.zeros((3, 8, 8)), labels=[0])
    with pytest.raises(ValueError, match=r"Argument `class_names`.*`labels` holds indices \[5\]"):
        plotting.plot_image_grid(np.zeros((2, 8, 8)), labels=[0, 5], class_names=["a", "b"])
    with pytest.raises(ValueError, match="Argument `class_names` needs `labels`"):
        plotting.plot_image_grid(np.zeros((2, 8, 8)), class_names=["a", "b"])
    with pytest.raises(ValueError, match="Argument `ncols` must be >= 1"):
        plotting.plot_image_grid(np.zeros((2, 8, 8)), ncols=0)
    with pytest.raises(TypeError, match="Argument `max_images` must be an integer"):
        plotting.plot_image_grid(np.zeros((2, 8, 8)), max_images=2.5)


# ---------------------------------------------------------------------------- plot_embedding
@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_plot_embedding_one_scatter_per_domain(method):
    feats = np.random.default_rng(0).normal(size=(30, 6))
    ax = plotting.plot_embedding(feats, np.arange(30) % 3, domains=np.arange(30) // 15,
                                 method=method, class_names=["a", "b", "c"],
                                 domain_names=["source", "target"])
    assert isinstance(ax, Axes)
    assert len(ax.collections) == 2
    assert [len(c.get_offsets()) for c in ax.collections] == [15, 15]
    assert {t.get_text() for t in ax.texts} == {"a", "b", "c"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["source", "target"]
    assert ("PCA" if method == "pca" else "t-SNE") in ax.get_title()


def test_plot_embedding_colours_by_class_and_is_reproducible():
    feats = np.random.default_rng(1).normal(size=(12, 5))
    labels = np.arange(12) % 2
    ax = plotting.plot_embedding(feats, labels, seed=3)
    assert len(ax.collections) == 1 and ax.get_legend() is None  # one domain, no legend
    colours = ax.collections[0].get_facecolors()
    assert len({tuple(c) for c in colours}) == 2
    np.testing.assert_allclose(colours[0], colours[2])
    again = plotting.plot_embedding(feats, labels, seed=3)
    np.testing.assert_allclose(ax.collections[0].get_offsets(),
                               again.collections[0].get_offsets())


def test_plot_embedding_two_dims_as_given_on_given_axes():
    _, ax = plt.subplots()
    feats = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    out = plotting.plot_embedding(feats, [0, 1, 1], domains=[0, 1, 1], method="tsne", ax=ax)
    assert out is ax
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[0, 1]])
    np.testing.assert_allclose(ax.collections[1].get_offsets(), [[2, 3], [4, 5]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["domain 0", "domain 1"]


def test_plot_embedding_errors():
    with pytest.raises(ValueError, match=r"Argument `method` must be one of.*Received: method="):
        plotting.plot_embedding(np.zeros((4, 3)), [0, 1, 0, 1], method="umap")
    with pytest.raises(ValueError, match="Argument `labels` must have one entry per row"):
        plotting.plot_embedding(np.zeros((4, 3)), [0, 1])
    with pytest.raises(ValueError, match="Argument `features` must be 2-D"):
        plotting.plot_embedding(np.zeros(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="Argument `features` must be 2-D"):
        plotting.plot_embedding(np.zeros((4, 1)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="Argument `features` must hold finite"):
        plotting.plot_embedding(np.full((4, 2), np.nan), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="Argument `features` must have at least 3 rows"):
        plotting.plot_embedding(np.zeros((2, 5)), [0, 1])
    with pytest.raises(ValueError, match="Argument `domains` must have one entry per row"):
        plotting.plot_embedding(np.zeros((4, 2)), [0, 1, 0, 1], domains=[0])
    with pytest.raises(TypeError, match="Argument `labels` must hold integer indices"):
        plotting.plot_embedding(np.zeros((2, 2)), [0.5, 1.5])
    with pytest.raises(ValueError, match=r"Argument `domain_names`.*`domains` holds indices"):
        plotting.plot_embedding(np.zeros((2, 2)), [0, 1], domains=[0, 2],
                                domain_names=["source", "target"])
    with pytest.raises(TypeError, match="Argument `seed` must be an integer"):
        plotting.plot_embedding(np.zeros((2, 2)), [0, 1], seed="0")


# ---------------------------------------------------------------------- plot_model_selection
ROWS = [dict(name="tiny", latency_ms=1.0, accuracy=0.80, size_mb=1.0),
        dict(name="big", latency_ms=9.0, accuracy=0.90, size_mb=90.0),
        dict(name="bad", latency_ms=8.0, accuracy=0.70, size_mb=45.0)]


def test_plot_model_selection_scatter_annotations_and_sizes():
    ax = plotting.plot_model_selection(ROWS)
    assert isinstance(ax, Axes)
    assert len(ax.collections) == 1 and not ax.get_lines()
    assert [t.get_text() for t in ax.texts] == ["tiny", "big", "bad"]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[1, 0.8], [9, 0.9], [8, 0.7]])
    areas = ax.collections[0].get_sizes()
    assert areas[1] == pytest.approx(2 * areas[2])  # area proportional to size_mb
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("latency_ms", "accuracy")


def test_plot_model_selection_highlight_joined_in_x_order():
    ax = plotting.plot_model_selection(ROWS, highlight=["big", "tiny"])
    assert len(ax.get_lines()) == 1
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1.0, 9.0])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.8, 0.9])
    one = plotting.plot_model_selection(ROWS, highlight="bad")  # a single name
    np.testing.assert_allclose(one.get_lines()[0].get_xdata(), [8.0])


def test_plot_model_selection_dict_of_columns_other_keys_and_given_axes():
    columns = {k: [r[k] for r in ROWS] for k in ROWS[0]}
    columns["params"] = [1, 2, 3]
    _, ax = plt.subplots()
    out = plotting.plot_model_selection(columns, x="size_mb", size="params", ax=ax)
    assert out is ax and ax.get_xlabel() == "size_mb"
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], [1, 90, 45])
    flat = plotting.plot_model_selection(ROWS, size=None)
    assert len(set(flat.collections[0].get_sizes())) == 1


def test_plot_model_selection_errors():
    with pytest.raises(ValueError, match=r"Argument `x`.*'latency'\. Did you mean "
                                         r"\"latency_ms\"\?.*Available: name, latency_ms"):
        plotting.plot_model_selection(ROWS, x="latency")
    with pytest.raises(ValueError, match=r"Argument `size`.*missing in rows \[1\]"):
        plotting.plot_model_selection([ROWS[0], {"name": "b", "latency_ms": 1, "accuracy": 1}])
    with pytest.raises(ValueError, match="Argument `label` names a column"):
        plotting.plot_model_selection(ROWS, label="model")
    with pytest.raises(ValueError, match=r"Argument `highlight`.*\['zzz'\]"):
        plotting.plot_model_selection(ROWS, highlight=["tiny", "zzz"])
    with pytest.raises(ValueError, match="Argument `table` must hold at least one model"):
        plotting.plot_model_selection([])
    with pytest.raises(ValueError, match="Argument `table`, as a dict.*same length"):
        plotting.plot_model_selection({"name": ["a", "b"], "latency_ms": [1]})
    with pytest.raises(TypeError, match="Argument `table`, as a list, must hold one dict"):
        plotting.plot_model_selection([("a", 1.0)])
    with pytest.raises(TypeError, match="Argument `table` must be a list of dicts"):
        plotting.plot_model_selection(42)
    with pytest.raises(TypeError, match="Argument `y` must name a column of numbers"):
        plotting.plot_model_selection(ROWS, y="name")
    with pytest.raises(ValueError, match="Argument `size` must name a column of numbers >= 0"):
        plotting.plot_model_selection([dict(ROWS[0], size_mb=-1.0)])


def test_plot_model_selection_draws_nothing_before_an_error():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="Argument `highlight`"):
        plotting.plot_model_selection(ROWS, highlight=["zzz"], ax=ax)
    assert not ax.collections and not ax.texts


def test_model_selection_labels_do_not_overlap():
    rows = [dict(name=f"model_{i}", latency_ms=10 + 0.3 * i, accuracy=0.9 + 0.002 * i,
                 size_mb=1 + i) for i in range(5)]  # five points almost on top of each other
    ax = plotting.plot_model_selection(rows)
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), "two point labels overlap"
