"""Loss-landscape slices through a network's weights (Li et al. 2018)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optim_core.errors import ConfigError
from optim_core.networks import probes
from optim_core.networks.experiment import parse_network_experiment
from optim_core.networks.landscape import Cancelled, filter_normalised, loss_slice
from optim_core.networks.training import TrainingSession


@pytest.fixture(scope="module")
def session() -> TrainingSession:
    experiment = parse_network_experiment({
        "network": {"dataset": "moons", "n_samples": 200, "hidden": [8, 8]},
        "steps": 40, "batch_size": 16, "dtype": "float64",
        "runs": [{"optimizer": "SGD", "lr": 0.2, "momentum": 0.9},
                 {"optimizer": "Adam", "lr": 0.02}]})
    s = TrainingSession(experiment)
    s.step(40)
    return s


def test_random_directions_are_filter_normalised(session: TrainingSession) -> None:
    centre = session.current_params()[0]
    direction = filter_normalised(session.model, centre, torch.Generator().manual_seed(1))
    for w_span, shape, b_span in session.model.weight_slices():
        d = direction[w_span].view(shape).flatten(1).norm(dim=1)
        w = centre[w_span].view(shape).flatten(1).norm(dim=1)
        torch.testing.assert_close(d, w)
        assert bool((direction[b_span] == 0).all())


@pytest.mark.parametrize("kind", ["random", "pca"])
def test_the_slice_passes_through_the_run_and_its_path_ends_there(session, kind) -> None:
    cut = loss_slice(session, 1, kind, resolution=11)
    middle = cut.loss[5, 5]
    data = session.data
    expected = probes.batch_loss(session.model, session.current_params()[1:2],
                                 data.train_x, data.train_y)[0]
    assert middle == pytest.approx(float(expected), rel=1e-9)
    np.testing.assert_allclose(cut.paths[1][-1], [0.0, 0.0], atol=1e-9)
    assert cut.loss.shape == (11, 11) and np.isfinite(cut.loss).all()
    assert set(cut.paths) == {0, 1}
    if kind == "pca":  # the plane the run moved in: its start sits on it, far from the centre
        np.testing.assert_allclose(cut.directions @ cut.directions.T, np.eye(2), atol=1e-9)
        assert np.linalg.norm(cut.paths[1][0]) > 0.1


def test_a_slice_can_be_cancelled_and_refuses_bad_requests(session) -> None:
    with pytest.raises(Cancelled):
        loss_slice(session, 0, resolution=41, should_stop=lambda: True)
    with pytest.raises(ConfigError, match="directions"):
        loss_slice(session, 0, "hessian")
    with pytest.raises(ConfigError, match="run"):
        loss_slice(session, 5)
