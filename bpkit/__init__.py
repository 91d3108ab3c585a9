"""bpkit: backpropagation, one equation at a time.

The library behind the lessons. Each module holds one idea:

* bpkit.activations -- σ and σ′ (sigmoid, tanh, ReLU, ...)
* bpkit.losses -- mean losses and ∂L/∂a; softmax and sigmoid losses from the logits
* bpkit.equations -- the forward step, Equations 1-4, the update
* bpkit.network -- a network whose backward pass is Equations 1-4
* bpkit.numgrad -- central-difference gradients
* bpkit.data -- small data sets, made or shipped (nothing downloaded)

(bpkit._fast, private, holds the speed tricks of Network.train.)
"""

from . import data
from .activations import Activation, get_activation, identity, leaky_relu, relu, sigmoid, softmax, tanh
from .equations import (
    backprop_error,
    bias_gradient,
    forward_step,
    output_error,
    sgd_update,
    weight_gradient,
)
from .losses import (
    LogitLoss,
    Loss,
    binary_cross_entropy,
    cross_entropy,
    get_loss,
    mse,
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
)
from .network import Cache, History, Network, init_weights
from .numgrad import directional_derivative, numerical_gradient, relative_error

__version__ = "0.1.0"

__all__ = [
    "Activation", "Cache", "data", "History", "LogitLoss", "Loss", "Network",
    "backprop_error", "bias_gradient", "binary_cross_entropy", "cross_entropy",
    "directional_derivative", "forward_step", "get_activation", "get_loss", "identity",
    "init_weights", "leaky_relu", "mse", "numerical_gradient", "output_error",
    "relative_error", "relu", "sgd_update", "sigmoid", "sigmoid_binary_cross_entropy", "softmax",
    "softmax_cross_entropy",
    "tanh", "weight_gradient",
]
