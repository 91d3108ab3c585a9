"""The widgets under nbclient (bpkit execute / release): nothing is sent back on the shell channel.

Lesson 08's widget cell used to stall for the whole cell timeout (120 s) now and
then on a busy machine: ipywidgets' interactive captured its figure in its Output
widget, nbclient's imitation of a front end answered that output with a comm
message on the shell channel -- the channel on which nbclient was waiting for
the cell's reply -- and the reply was then missed until the timeout ran out
(bench/widget_stall.py shows it). bpkit's widgets set their output area instead
of capturing into it, so nbclient has nothing to send. This test counts what it
sends (no timing involved).
"""

import os
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.output_widget import OutputWidget

from bpkit.release import KERNEL_NAME, _kernel_manager

CELLS = {
    "one_neuron": "widgets.one_neuron_widget()",
    "backward_pass": "widgets.backward_pass_widget(bpkit.Network([2, 3, 1], seed=0), "
                     "np.array([[0.5], [-1.0]]), np.array([[1.0]]))",
    "training": "X, Y = bpkit.data.moons(40, noise=0.1, seed=0)\n"
                "widgets.training_widget(X, Y, [2, 4, 1], epochs=3, hidden='tanh', output='sigmoid', "
                "loss='binary_cross_entropy')",
    "init": "widgets.init_widget(np.ones((3, 4)), np.ones((1, 4)), [3, 5, 1], depth=3)",
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    sent = []
    original = OutputWidget.send
    OutputWidget.send = lambda self, *args, **kwargs: sent.append(self.comm_id)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nimport bpkit\nimport bpkit.data\n"
                                          "from bpkit import widgets", id="setup")]
    nb.cells += [nbformat.v4.new_code_cell(source, id=name) for name, source in CELLS.items()]
    client = NotebookClient(nb, km=_kernel_manager(), kernel_name=KERNEL_NAME, timeout=60,
                            resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}})
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    try:
        client.execute(env=env, stderr=subprocess.DEVNULL, cleanup_kc=True)   # shut the kernel down
    finally:
        OutputWidget.send = original
    return nb, client, sent


def test_nbclient_sends_nothing_back_while_the_widget_cells_run(executed):
    _, _, sent = executed
    assert sent == [], f"nbclient answered {len(sent)} Output-widget messages on the shell channel"


@pytest.mark.parametrize("name", list(CELLS))
def test_each_widget_shows_its_figure_in_its_output_area(executed, name):
    nb, client, _ = executed
    (cell,) = [c for c in nb.cells if c.id == name]
    assert [o.output_type for o in cell.outputs] == ["execute_result"], "the widget, and nothing beside it"
    assert "application/vnd.jupyter.widget-view+json" in cell.outputs[0].data
    areas = [state for state in client.widget_state.values() if state.get("_model_name") == "OutputModel"]
    shown = [o for state in areas for o in state.get("outputs", [])]
    assert all(o["output_type"] == "display_data" and "image/png" in o["data"] for o in shown)
    assert len(shown) == len(CELLS)                 # one figure per widget
