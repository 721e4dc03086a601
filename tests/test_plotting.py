import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tl_helpers import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_history_one_panel_per_metric_with_validation():
    logs = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.3, 0.6, 0.8]}
    fig = plotting.plot_history(logs)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].get_lines()) == 2  # train + validation loss
    assert len(fig.axes[1].get_lines()) == 1  # no val_accuracy


def test_plot_history_accepts_a_keras_history_and_an_axes():
    class History:  # the attribute Keras' History has
        history = {"loss": [1.0, 0.5]}

    _, ax = plt.subplots()
    assert plotting.plot_history(History(), metrics="loss", ax=ax) is ax


def test_plot_history_errors():
    with pytest.raises(ValueError, match=r'Did you mean "accuracy"\?'):
        plotting.plot_history({"loss": [1], "accuracy": [0.5]}, metrics=["acuracy"])
    with pytest.raises(TypeError, match="must be a keras History or a dict"):
        plotting.plot_history([1, 2, 3])


def test_plot_label_efficiency_one_line_and_band_per_method():
    results = {"scratch": {5: [0.5, 0.6], 10: [0.7, 0.72], 30: [0.8]},
               "transfer": {5: [0.8, 0.82], 10: [0.9, 0.88], 30: [0.95]}}
    ax = plotting.plot_label_efficiency(results, title="faces")
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2
    assert ax.get_xscale() == "log" and ax.get_title() == "faces"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.55, 0.71, 0.8])


def test_plot_label_efficiency_errors():
    with pytest.raises(ValueError, match="Argument `results` must be a non-empty dict"):
        plotting.plot_label_efficiency({})
    with pytest.raises(ValueError, match=r"`results\['a'\]` must be a non-empty dict"):
        plotting.plot_label_efficiency({"a": [0.5]})


def test_plot_confusion_matrix_normalised_rows():
    ax = plotting.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], class_names=["a", "b"])
    image = ax.images[0].get_array()
    np.testing.assert_allclose(image.sum(axis=1), [1, 1])
    with pytest.raises(ValueError, match="same length"):
        plotting.plot_confusion_matrix([0, 1], [0])


def test_plot_image_grid_counts_and_titles():
    images = np.random.default_rng(0).integers(0, 255, (40, 8, 8, 3), dtype=np.uint8)
    fig = plotting.plot_image_grid(images, labels=np.arange(40) % 2, class_names=["x", "y"],
                                   ncols=8, max_images=20)
    shown = [a for a in fig.axes if a.images]
    assert len(shown) == 20 and shown[1].get_title() == "y"
    gray = plotting.plot_image_grid(np.zeros((3, 8, 8, 1)), ncols=2)
    assert len([a for a in gray.axes if a.images]) == 3


def test_plot_image_grid_errors():
    with pytest.raises(ValueError, match=r"images.shape=\(3, 8, 8, 2\)"):
        plotting.plot_image_grid(np.zeros((3, 8, 8, 2)))
    with pytest.raises(ValueError, match="same length"):
        plotting.plot_image_grid(np.zeros((3, 8, 8)), labels=[0])


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_plot_embedding_one_scatter_per_domain(method):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(40, 6))
    ax = plotting.plot_embedding(feats, np.arange(40) % 3, domains=np.arange(40) // 20,
                                 method=method, class_names=["a", "b", "c"],
                                 domain_names=["source", "target"])
    assert len(ax.collections) == 2
    assert {t.get_text() for t in ax.texts} == {"a", "b", "c"}


def test_plot_embedding_errors():
    with pytest.raises(ValueError, match="Argument `method` must be one of"):
        plotting.plot_embedding(np.zeros((4, 3)), [0, 1, 0, 1], method="umap")
    with pytest.raises(ValueError, match="one row per label"):
        plotting.plot_embedding(np.zeros((4, 3)), [0, 1])
    with pytest.raises(ValueError, match="`domains` must have one entry per row"):
        plotting.plot_embedding(np.zeros((4, 2)), [0, 1, 0, 1], domains=[0])


def test_plot_model_selection_from_rows_and_columns():
    rows = [dict(name="tiny", latency_ms=1.0, accuracy=0.80, size_mb=0.2),
            dict(name="big", latency_ms=9.0, accuracy=0.90, size_mb=90.0),
            dict(name="bad", latency_ms=8.0, accuracy=0.70, size_mb=50.0)]
    ax = plotting.plot_model_selection(rows, highlight=["tiny", "big"])
    assert len(ax.texts) == 3 and len(ax.get_lines()) == 1
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1.0, 9.0])
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    _, ax2 = plt.subplots()
    assert plotting.plot_model_selection(columns, ax=ax2) is ax2


def test_plot_model_selection_errors():
    rows = [dict(name="a", latency_ms=1.0, accuracy=0.8, size_mb=1.0)]
    with pytest.raises(ValueError, match=r'Did you mean "latency_ms"'):
        plotting.plot_model_selection(rows, x="latency")
    with pytest.raises(ValueError, match="not in the table"):
        plotting.plot_model_selection(rows, highlight=["zzz"])
    with pytest.raises(ValueError, match="at least one model"):
        plotting.plot_model_selection([])
