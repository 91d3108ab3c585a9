"""A multi-layer perceptron whose backward pass is built only from Equations 1-4.

Layers are numbered exactly as in the math: net.W[1] .. net.W[L] and
net.b[1] .. net.b[L]; index 0 holds None because layer 0 is the input and has
no parameters. forward, backward and update call the public equation
functions; train runs the same arithmetic through bpkit's private fast path
(bpkit._fast), which gives the same weights to rounding.

>>> net = Network([2, 3, 1], seed=0)
>>> net
Network(sizes=[2, 3, 1], hidden='sigmoid', output='sigmoid', loss='mse', init='xavier', dtype=float64)
>>> net.W[1].shape, net.b[2].shape
((3, 2), (1, 1))
>>> cache = net.forward(np.ones((2, 4)))          # 4 examples as columns
>>> cache.a[2].shape
(1, 4)
>>> dW, db = net.backward(cache, np.zeros((1, 4)))
>>> dW[1].shape == net.W[1].shape
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _fast
from ._validate import as_matrix, as_real_array, positive_number
from .activations import Activation, get_activation
from .data import to_labels
from .equations import (
    backprop_error,
    bias_gradient,
    forward_step,
    output_error,
    sgd_update,
    weight_gradient,
)
from .losses import LogitLoss, Loss, get_loss, logit_loss

Array = np.ndarray
INITIALISATIONS = ("xavier", "he", "normal")


def init_weights(
    sizes: list[int], method: str = "xavier", seed: int | None = 0, dtype: type = np.float64
) -> tuple[list[Array | None], list[Array | None]]:
    """Random weights and zero biases for a network with layer widths sizes.

    * "xavier" (Glorot, for sigmoid and tanh): W[l]_ij ~ N(0, 2/(n_{l-1} + n_l))
    * "he" (for ReLU): W[l]_ij ~ N(0, 2/n_{l-1})
    * "normal": W[l]_ij ~ N(0, 1) (Nielsen's choice; saturates deep nets)

    Args:
        sizes: [n_0, n_1, ..., n_L], the input width first.
        method: one of "xavier", "he", "normal".
        seed: seed for numpy.random.default_rng.
        dtype: np.float64 or np.float32.

    Returns:
        (W, b): lists of length L + 1 with W[0] = b[0] = None, W[l] of shape
        (n_l, n_{l-1}) and b[l] of shape (n_l, 1).

    >>> W, b = init_weights([4, 3, 2], "he", seed=1)
    >>> [w.shape for w in W[1:]], [v.shape for v in b[1:]]
    ([(3, 4), (2, 3)], [(3, 1), (2, 1)])
    """
    sizes = _check_sizes(sizes)
    dtype = _check_dtype(dtype)
    if method not in INITIALISATIONS:
        raise ValueError(f"unknown initialisation {method!r}; choose one of {INITIALISATIONS}")
    rng = np.random.default_rng(seed)
    W: list[Array | None] = [None]
    b: list[Array | None] = [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        std = {"xavier": np.sqrt(2.0 / (n_in + n_out)), "he": np.sqrt(2.0 / n_in), "normal": 1.0}[method]
        W.append((rng.standard_normal((n_out, n_in)) * std).astype(dtype))
        b.append(np.zeros((n_out, 1), dtype=dtype))
    return W, b


def _check_sizes(sizes: list[int]) -> list[int]:
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"sizes must be a list of layer widths [n_0, ..., n_L]; got {sizes!r}") from None
    if len(sizes) < 2 or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in sizes
    ):
        raise ValueError(
            f"sizes must list at least two positive integers [n_0, ..., n_L]; got {sizes!r}"
        )
    return [int(n) for n in sizes]


def _check_dtype(dtype: object) -> np.dtype:
    """np.dtype(dtype) if it is float64 or float32, else a TypeError."""
    try:
        checked = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float64 or float32; got {dtype!r}") from None
    if checked not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise TypeError(f"dtype must be float64 or float32; got {checked}")
    return checked


@dataclass
class Cache:
    """What the forward pass keeps for the backward pass.

    z[l] for l = 1..L (z[0] is None) and a[l] for l = 0..L, each of shape (n_l, m).
    """

    z: list[Array | None]
    a: list[Array]

    @property
    def output(self) -> Array:
        """a[L], the network's prediction."""
        return self.a[-1]


@dataclass
class History:
    """What Network.train recorded: the mean loss and the accuracy, epoch by epoch.

    By default (train(..., evaluate_every=None)) loss[i] and accuracy[i] are the
    running means over epoch i's minibatches of what each forward pass already
    computed while training: each batch is scored with the weights it was
    trained from, so nothing is computed twice (as Keras reports). With
    evaluate_every=k they are instead the loss and accuracy on all of the
    training data, with the weights at the end of epochs k, 2k, ... and the
    last epoch. val_loss and val_accuracy are always measured on the
    validation data at the end of the recorded epochs. epochs lists which
    epochs (counted from 1) the entries belong to; evaluated says which kind
    they are ("minibatch means" or "full data").
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    evaluated: str = "minibatch means"

    def __repr__(self) -> str:
        if not self.loss:
            return "History(epochs=0)"
        last = self.epochs[-1] if self.epochs else len(self.loss)
        return f"History(epochs={last}, loss={self.loss[-1]:.4f}, accuracy={self.accuracy[-1]:.4f})"


class Network:
    """A fully connected network: sizes = [n_0, n_1, ..., n_L].

    Args:
        sizes: the layer widths, input first.
        hidden: the activation of layers 1..L-1 (a name or an Activation).
        output: the activation of layer L.
        loss: "mse", "binary_cross_entropy" or "cross_entropy" (or a Loss). A
            softmax output with cross-entropy, and a sigmoid output with binary
            cross-entropy, are computed from the logits z[L] by the fused, exact
            softmax_ce and sigmoid_bce (see bpkit.losses); net.logit_loss tells
            which, or None.
        init: "xavier", "he" or "normal" (see init_weights).
        seed: the seed for the initial weights.
        dtype: np.float64 (the default) or np.float32.

    Example:
        >>> net = Network([2, 3, 1], output="sigmoid", loss="bce", seed=0)
        >>> net.logit_loss
        LogitLoss('sigmoid_binary_cross_entropy')
    """

    def __init__(
        self,
        sizes: list[int],
        hidden: str | Activation = "sigmoid",
        output: str | Activation = "sigmoid",
        loss: str | Loss = "mse",
        init: str = "xavier",
        seed: int | None = 0,
        dtype: type = np.float64,
    ) -> None:
        dtype = _check_dtype(dtype)
        self.sizes = _check_sizes(sizes)
        self.L = len(self.sizes) - 1
        self.hidden = get_activation(hidden)
        self.output = get_activation(output)
        self.loss_fn = get_loss(loss)
        self.logit_loss: LogitLoss | None = logit_loss(self.output, self.loss_fn)
        self.init = init
        self.dtype = np.dtype(dtype)
        self.W, self.b = init_weights(self.sizes, init, seed, self.dtype.type)

    def __repr__(self) -> str:
        return (f"Network(sizes={self.sizes}, hidden={self.hidden.name!r}, output={self.output.name!r}, "
                f"loss={self.loss_fn.name!r}, init={self.init!r}, dtype={self.dtype})")

    def activation(self, l: int) -> Activation:
        """The activation of layer l (1..L)."""
        return self.output if l == self.L else self.hidden

    def _inputs(self, X: Array, name: str = "X") -> Array:
        X = as_matrix(X, name)
        if X.shape[0] != self.sizes[0]:
            raise ValueError(
                f"{name} has shape {X.shape} but the network takes {self.sizes[0]} inputs: "
                f"{name} needs shape ({self.sizes[0]}, m), one column per example"
            )
        return X.astype(self.dtype, copy=False)

    def _targets(self, Y: Array, m: int, name: str = "Y") -> Array:
        Y = as_matrix(Y, name)
        if Y.shape != (self.sizes[-1], m):
            raise ValueError(
                f"{name} has shape {Y.shape} but must be ({self.sizes[-1]}, {m}): "
                f"one column of {self.sizes[-1]} targets per example"
            )
        if self.logit_loss is not None:
            self.logit_loss.check_targets(Y, name)
        return Y.astype(self.dtype, copy=False)

    def _check_cache(self, cache: Cache) -> None:
        if not isinstance(cache, Cache):
            raise TypeError(f"cache must be the Cache returned by forward(); got {type(cache).__name__}")
        if len(cache.a) != self.L + 1:
            raise ValueError(
                f"cache has {len(cache.a) - 1} layers but the network has {self.L}; "
                "use the cache that this network's forward() returned"
            )

    def forward(self, X: Array) -> Cache:
        """The forward pass, z[l] = W[l] a[l-1] + b[l] and a[l] = σ(z[l]) for l = 1..L,
        keeping every z[l] and a[l].

        Args:
            X: the inputs a[0], shape (n_0, m).
        """
        a: list[Array] = [self._inputs(X)]
        z: list[Array | None] = [None]
        for l in range(1, self.L + 1):
            z_l, a_l = forward_step(self.W[l], a[l - 1], self.b[l], self.activation(l), layer=l)
            z.append(z_l)
            a.append(a_l)
        return Cache(z, a)

    def output_delta(self, cache: Cache, Y: Array) -> tuple[float, Array]:
        """The mean loss and δ[L] (Equation 1, or the fused logit-loss shortcut)."""
        return self._loss_value(cache, Y), self._output_error(cache, Y)

    def _loss_value(self, cache: Cache, Y: Array) -> float:
        """The mean loss alone: what loss() and the training history need."""
        self._check_cache(cache)
        Y = self._targets(Y, cache.a[0].shape[1])
        if self.logit_loss is not None:
            return self.logit_loss.value(cache.z[self.L], Y)
        return self.loss_fn.value(cache.a[self.L], Y)

    def _output_error(self, cache: Cache, Y: Array) -> Array:
        """δ[L] alone: what backward() needs."""
        self._check_cache(cache)
        Y = self._targets(Y, cache.a[0].shape[1])
        if self.logit_loss is not None:
            return self.logit_loss.delta(cache.z[self.L], Y)
        return output_error(self.loss_fn.gradient(cache.a[self.L], Y), cache.z[self.L], self.output,
                            layer=self.L)

    def backward(self, cache: Cache, Y: Array) -> tuple[list[Array | None], list[Array | None]]:
        """Gradients of the mean loss by Equations 1-4, layer L down to 1.

        Args:
            cache: from forward().
            Y: the targets, shape (n_L, m).

        Returns:
            (dW, db), lists indexed like W and b (entry 0 is None).
        """
        delta = self._output_error(cache, Y)                             # Equation 1
        dW: list[Array | None] = [None] * (self.L + 1)
        db: list[Array | None] = [None] * (self.L + 1)
        for l in range(self.L, 0, -1):
            dW[l] = weight_gradient(delta, cache.a[l - 1], layer=l)      # Equation 3
            db[l] = bias_gradient(delta, layer=l)                         # Equation 4
            if l > 1:
                delta = backprop_error(self.W[l], delta, cache.z[l - 1], self.hidden, layer=l - 1)  # Eq. 2
        return dW, db

    def gradients(self, X: Array, Y: Array) -> tuple[float, list[Array | None], list[Array | None]]:
        """Forward then backward: (loss, dW, db) for inputs X and targets Y."""
        cache = self.forward(X)
        dW, db = self.backward(cache, Y)
        return self._loss_value(cache, Y), dW, db

    def loss(self, X: Array, Y: Array) -> float:
        """The mean loss over the columns of X."""
        return self._loss_value(self.forward(X), Y)

    def update(self, dW: list[Array | None], db: list[Array | None], learning_rate: float) -> None:
        """The gradient-descent update W[l] ← W[l] − α dW[l], b[l] ← b[l] − α db[l] for every layer.

        Each W[l], b[l] is replaced by a new array, so arrays taken from the
        network before the update keep their old values.
        """
        for name, grads in (("dW", dW), ("db", db)):
            if len(grads) != self.L + 1:
                raise ValueError(
                    f"{name} has {len(grads)} entries but must have L + 1 = {self.L + 1} (entry 0 is None)"
                )
        for l in range(1, self.L + 1):
            self.W[l] = sgd_update(self.W[l], dW[l], learning_rate, name=f"W[{l}]")
            self.b[l] = sgd_update(self.b[l], db[l], learning_rate, name=f"b[{l}]")

    def predict(self, X: Array) -> Array:
        """The predicted class of each column: the argmax of a[L]; with one output unit,
        a[L] > 0.5 (a[L] > 0 for a tanh output, whose targets are -1 and 1).

        Returns an integer array of shape (m,).
        """
        return self._classes(self.forward(X).output)

    def _classes(self, a_L: Array) -> Array:
        return _fast.classes(a_L, self.output.name == "tanh")

    def accuracy(self, X: Array, Y: Array) -> float:
        """The fraction of columns whose predicted class matches Y.

        Y may be one-hot (n_L, m), a (1, m) row of 0/1 targets, or a (m,)
        vector of integer labels.
        """
        predicted = self.predict(X)
        return float(np.mean(predicted == self._labels(Y, predicted.shape[0])))

    def _labels(self, Y: Array, m: int) -> Array:
        """bpkit.data.to_labels of Y, after checking that Y fits m examples."""
        Y = as_real_array(Y, "Y")
        n_L = self.sizes[-1]
        if Y.ndim == 1:
            if Y.shape[0] != m:
                raise ValueError(f"Y has shape {Y.shape} but X has {m} examples")
        elif Y.shape != (n_L, m):
            hint = ""
            if Y.shape == (1, m):
                hint = "; for integer labels pass a 1-D array of shape (m,), e.g. Y.ravel()"
            raise ValueError(
                f"Y has shape {Y.shape} but must be ({n_L}, {m}) (one-hot or targets) "
                f"or ({m},) (integer labels){hint}"
            )
        return to_labels(Y)

    def _loss_and_accuracy(self, X: Array, Y: Array) -> tuple[float, float]:
        """(self.loss(X, Y), self.accuracy(X, Y)) from one forward pass instead of two."""
        cache = self.forward(X)
        loss = self._loss_value(cache, Y)
        predicted = self._classes(cache.output)
        return loss, float(np.mean(predicted == self._labels(Y, predicted.shape[0])))

    def train(
        self,
        X: Array,
        Y: Array,
        epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 0.1,
        seed: int | None = 0,
        validation: tuple[Array, Array] | None = None,
        progress: bool = True,
        evaluate_every: int | None = None,
    ) -> History:
        """Minibatch stochastic gradient descent.

        Each epoch shuffles the columns (with numpy.random.default_rng(seed)),
        cuts them into batches of batch_size, and for each batch runs the
        forward pass, the backward pass (Equations 1-4) and the update. It gives
        the weights that forward, backward and update would, to rounding, by a
        faster private path (bpkit._fast) that reuses its arrays.

        What the History holds:
        * by default, per epoch, the mean loss and accuracy over that epoch's
          minibatches, from what the forward passes computed anyway (each batch
          scored with the weights before its own update): no extra pass;
        * with evaluate_every=k, the loss and accuracy on all of X, with the
          weights at the end of epochs k, 2k, ... and the last epoch (one more
          forward pass over X each time; evaluate_every=1 every epoch);
        * with validation=(X_val, Y_val), the loss and accuracy on it, at the
          end of each recorded epoch.

        Args:
            X: the inputs, shape (n_0, m).
            Y: the targets, shape (n_L, m).
            epochs: the number of passes over the data.
            batch_size: the examples per gradient step (the last batch may be smaller).
            learning_rate: α > 0.
            seed: the seed of the shuffles.
            validation: optional (X_val, Y_val).
            progress: show a progress bar (a widget in Jupyter, text in a terminal).
            evaluate_every: None, or k >= 1 (see above).

        Returns:
            A History.
        """
        X = self._inputs(X)
        m = X.shape[1]
        Y = self._targets(Y, m)
        learning_rate = positive_number(learning_rate, "learning_rate")
        _check_count(epochs, "epochs", 0)
        _check_count(batch_size, "batch_size", 1)
        if evaluate_every is not None:
            _check_count(evaluate_every, "evaluate_every", 1)
        validation = self._validation(validation)
        self._check_parameters()
        # Training updates the weights in place (no new W per step); copying them
        # once first keeps any array taken from the network before train() as it was.
        for l in range(1, self.L + 1):
            self.W[l] = np.array(self.W[l], dtype=self.dtype, order="C")
            self.b[l] = np.array(self.b[l], dtype=self.dtype, order="C")
        trainer = _fast.Trainer(self, X, Y, to_labels(Y), batch_size)
        rng = np.random.default_rng(seed)
        history = History(evaluated="minibatch means" if evaluate_every is None else "full data")
        bar = _progress(epochs, progress)
        for epoch in range(1, epochs + 1):
            loss, accuracy = trainer.epoch(rng.permutation(m), learning_rate)
            if evaluate_every is None or epoch % evaluate_every == 0 or epoch == epochs:
                if evaluate_every is not None:
                    loss, accuracy = self._loss_and_accuracy(X, Y)
                self._record(history, epoch, loss, accuracy, validation)
            if bar is not None:
                bar.set_postfix(loss=f"{loss:.4f}", acc=f"{accuracy:.3f}")
                bar.update(1)
        if bar is not None:
            bar.close()
        return history

    def _validation(self, validation: object) -> tuple[Array, Array] | None:
        """validation = (X_val, Y_val), checked before training starts."""
        if validation is None:
            return None
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError(f"validation must be a pair (X_val, Y_val); got {type(validation).__name__}")
        X_val = self._inputs(validation[0], "X_val")
        return X_val, self._targets(validation[1], X_val.shape[1], "Y_val")

    def _check_parameters(self) -> None:
        """Raise unless every W[l] and b[l] has the shape the sizes say (they may have been replaced)."""
        for l in range(1, self.L + 1):
            for name, p, shape in (("W", self.W[l], (self.sizes[l], self.sizes[l - 1])),
                                   ("b", self.b[l], (self.sizes[l], 1))):
                p = as_matrix(p, name, l)
                if p.shape != shape:
                    raise ValueError(
                        f"{name}[{l}] has shape {p.shape} but must be {shape} for sizes {self.sizes}")

    def _record(self, history: History, epoch: int, loss: float, accuracy: float,
                validation: tuple[Array, Array] | None) -> None:
        history.epochs.append(epoch)
        history.loss.append(float(loss))
        history.accuracy.append(float(accuracy))
        if validation is not None:
            val_loss, val_accuracy = self._loss_and_accuracy(*validation)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)


def _check_count(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="epochs", unit="epoch", leave=False)
