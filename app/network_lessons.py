"""Lessons on networks: the lecture's claims about training deep nets, on a real (small) network.

The lecture's conclusions are claims about networks — AdamW "is insensitive to the choice of
hyper-parameters", a larger batch "suffers from diminishing returns", clipping restricts what is
too big, AdamW's weight decay is decoupled — and these lessons show each one on an MLP trained by
the network engine. Each is a dict: ``key``, ``title``, ``section`` (of the lecture,
shared/reference/curriculum.md), ``experiment`` (a network experiment, as in a file), ``panels``
(the workbench panels to show, of :data:`PANELS`), ``watch`` (what the user sees) and ``try``
(what to change to see the point turn around); ``lr_sweep``, when true, adds a link that opens
the learning-rate sweep of the lesson's experiment.

Every claim, with the numbers the texts quote, is checked by running the lesson in
``tests/app/test_network_lessons.py`` (several seeds where one could be luck); where the small net
shows less than the lecture says, the text says so. Plain data, no Qt.
"""

from __future__ import annotations

from typing import Any

#: the workbench panels a lesson can ask for
PANELS = ("loss", "accuracy", "boundary", "effective_lr", "update_ratio", "noise_scale",
          "sharpness", "slice")

#: two moons with little noise: a small net can fit them, so validation losses fall far
_MOONS = {"dataset": "moons", "n_samples": 600, "noise": 0.1, "hidden": [16, 16],
          "activation": "tanh"}


def _runs(optimizer: str, lrs: tuple[float, ...], name: str, **settings: Any) -> list[dict]:
    return [{"optimizer": optimizer, "lr": lr, **settings, "label": f"{name} lr={lr:g}"}
            for lr in lrs]


LESSONS: list[dict[str, Any]] = [
    {
        "key": "network-lr-insensitivity",
        "title": "AdamW and the learning rate, on a network",
        "section": "6. Practice",
        "experiment": {
            "network": _MOONS, "steps": 300, "batch_size": 32, "seed": 0, "dtype": "float32",
            "eval_every": 10, "layer_stats_every": 10, "noise_scale_every": 0,
            "sharpness_every": 0,
            "runs": [*_runs("SGD", (0.03, 0.3, 3.0), "SGD"),
                     *_runs("Adam", (0.001, 0.01, 0.1), "Adam + L2", weight_decay=0.01),
                     *_runs("AdamW", (0.001, 0.01, 0.1), "AdamW", weight_decay=0.01)],
        },
        "panels": ["loss", "accuracy", "boundary", "effective_lr"],
        "watch": (
            "SGD, Adam + L2 and AdamW, each at three lrs a decade apart, train one 2-16-16-2 "
            "net from the same weights on the same minibatches. Validation loss after 300 "
            "steps (untrained: 0.66): AdamW 0.22 / 0.008 / 0.0001 at lr 0.001 / 0.01 / 0.1; "
            "SGD 0.24 / 0.094 / 0.001 at 0.03 / 0.3 / 3 — its good lrs lie 10–100× higher "
            "(the Layers tab: Adam's effective lrs spread per parameter, SGD's is one number); "
            "Adam + L2 (the same weight_decay 0.01) 0.23 / 0.23 / 0.048 — the coupled decay "
            "holds it back wherever AdamW gets anywhere. Honestly: on a net this small AdamW is "
            "not reliably more tolerant of its lr than SGD. Swept over lrs 10⁻⁴ … 10 with six "
            "seeds, AdamW stays within 10× of its best over 0.3–1.7 decades of lr, SGD over "
            "0–0.7: wider on three seeds, narrower on the other three. What holds on every "
            "seed: AdamW gets 110–5,100× below the untrained loss, plain Adam (no decay) "
            "85–8,600×, Adam + L2 only 11–34×."
        ),
        "try": (
            "Set Adam + L2's weight_decay to 0: it matches AdamW at every lr. Or sweep the "
            "lr (the link below, or Lab → Learning-rate sweep…; from a terminal: python -m "
            "optim_core sweep --network FILE.json --lrs 1e-4:10:16), then change its seed: "
            "which optimizer keeps the widest range of good lrs changes with it."
        ),
        "lr_sweep": True,
    },
    {
        "key": "network-batch-size",
        "title": "Diminishing returns of the batch size",
        "section": "1. Mean, average, batches",
        "experiment": {
            "network": _MOONS, "steps": 300, "batch_size": 32, "seed": 0, "dtype": "float32",
            "eval_every": 5, "layer_stats_every": 0, "noise_scale_every": 25,
            "sharpness_every": 0,
            "runs": [{"optimizer": "SGD", "lr": 0.3, "momentum": 0.9,
                      "label": "SGD+momentum lr=0.3"}],
        },
        "panels": ["loss", "noise_scale"],
        "watch": (
            "SGD with momentum at batch size 32. Note the step where the training loss first "
            "falls below 0.05, and the gradient noise scale B_simple = tr(Σ)/‖G‖² (McCandlish "
            "et al. 2018), the batch size past which larger batches stop paying: noisy on this "
            "net, its median early in training is 30–70 (later it grows, as the gradient "
            "shrinks). Over three seeds, 8 → 32 samples "
            "(4×) cut the steps to 0.05 by 2.6× or more; 64 → all 450 (7×) only by 1.3–1.5×, "
            "at 7× the computation per step. Past B_simple a bigger batch buys a more exact "
            "gradient, not fewer steps."
        ),
        "try": (
            "Set the batch size to 8, then 64, then the full batch, and compare the steps to a "
            "training loss of 0.05 — and the sample-gradients computed (steps × batch size)."
        ),
    },
    {
        "key": "network-clipping",
        "title": "Clipping a spiky run",
        "section": "6. Practice",
        "experiment": {
            "network": {**_MOONS, "noise": 0.2}, "steps": 300, "batch_size": 32, "seed": 1,
            "dtype": "float32", "eval_every": 10, "layer_stats_every": 10,
            "noise_scale_every": 0, "sharpness_every": 0,
            "runs": [{"optimizer": "SGD", "lr": 3.0, "label": "SGD lr=3"},
                     {"optimizer": "SGD", "lr": 3.0, "clip_norm": 0.5,
                      "label": "SGD lr=3, clip_norm=0.5"}],
        },
        "panels": ["loss", "accuracy", "effective_lr"],
        "watch": (
            "The same too-large learning rate, with and without clip_grad_norm_(max_norm=0.5). "
            "Unclipped, minibatches with steep gradients throw the weights far: the minibatch "
            "loss spikes to about 15 (untrained: 0.7), and here the net ends worse than it "
            "began (with other seeds it recovers, to a worse fit than the clipped run's). "
            "Clipped, no step is longer than lr × 0.5 = "
            "1.5: the loss stays below 2 and the net trains. The clip fires on a sixth to a "
            "third of the steps — where the gradient is too big: the lecture's \"restrict it "
            "manually\". The Layers tab shows it: the clipped run's effective lr |Δw/g| drops "
            "below 3 on those steps."
        ),
        "try": (
            "Lower the lr to 0.3: neither run spikes and both end alike. Or set max_norm to "
            "0.05: it fires on every step, so every step has length lr × 0.05 — normalised "
            "gradient descent, which trains this net well too: a clip that always fires is a "
            "different optimizer, not a safety net."
        ),
    },
    {
        "key": "network-weight-decay",
        "title": "Adam + L2 is not AdamW, on a network",
        "section": "5. Adaptive methods",
        "experiment": {
            "network": {**_MOONS, "noise": 0.2}, "steps": 300, "batch_size": 32, "seed": 0,
            "dtype": "float32", "eval_every": 10, "layer_stats_every": 10,
            "noise_scale_every": 0, "sharpness_every": 0,
            "runs": [{"optimizer": "Adam", "lr": 0.01, "label": "Adam"},
                     {"optimizer": "Adam", "lr": 0.01, "weight_decay": 0.01,
                      "label": "Adam + L2, weight_decay=0.01"},
                     {"optimizer": "AdamW", "lr": 0.01, "weight_decay": 0.01,
                      "label": "AdamW, weight_decay=0.01"}],
        },
        "panels": ["loss", "accuracy", "boundary"],
        "watch": (
            "The same weight_decay = 0.01 two ways. AdamW decays the weights outside the "
            "adaptive step, ŵ = w − αλw: 10⁻⁴ a step, 3 % over 300 steps — its weights end "
            "within 10 % of plain Adam's. Adam + L2 adds λw to the gradient, which Adam then "
            "divides by √q: where the data's gradient is small, the decay gets a full-sized "
            "step of its own. Its weights shrink to a third to a half of Adam's, every layer "
            "to about the same norm (the runs' weight_norm records; python -m optim_core train "
            "--out saves them): its boundary stays nearly straight, its validation loss above "
            "both others' and its accuracy at 86–87 % against their 90–99 %."
        ),
        "try": (
            "Raise AdamW's weight_decay to 1: now it shrinks the weights steadily (by 1 % a "
            "step) — decay you can dose with λ, independent of the gradients' scale."
        ),
    },
    {
        "key": "network-edge-of-stability",
        "title": "Gradient descent at the edge of stability",
        "section": "2. SGD",
        "experiment": {
            "network": {"dataset": "sine", "n_samples": 400, "hidden": [32, 32],
                        "activation": "tanh"},
            "steps": 400, "batch_size": None, "seed": 0, "dtype": "float32",
            "eval_every": 10, "layer_stats_every": 0, "noise_scale_every": 0,
            "sharpness_every": 10,
            "runs": [{"optimizer": "SGD", "lr": 0.1, "label": "GD lr=0.1 (2/lr = 20)"},
                     {"optimizer": "SGD", "lr": 0.2, "label": "GD lr=0.2 (2/lr = 10)"}],
        },
        "panels": ["loss", "sharpness"],
        "watch": (
            "Full-batch gradient descent on a regression at two lrs. On a quadratic, GD is "
            "stable only while the curvature λ_max (the sharpness) is below 2/lr. Here "
            "training raises the sharpness until it reaches 2/lr, and there it hovers (Cohen "
            "et al. 2021): from about 10 up to 20 for lr 0.1; for lr 0.2 it swings about its "
            "edge, 10, from the start — halve the lr and the level doubles. The loss keeps "
            "falling, though not monotonically: it spikes where the sharpness overshoots."
        ),
        "try": (
            "Lower the lr to 0.02 (2/lr = 100): the sharpness levels off near 30, far below "
            "2/lr — the classical stable regime, where the loss falls smoothly."
        ),
    },
]


def network_lesson(key: str) -> dict[str, Any]:
    """The lesson with ``key`` (KeyError if there is none)."""
    for entry in LESSONS:
        if entry["key"] == key:
            return entry
    raise KeyError(key)
