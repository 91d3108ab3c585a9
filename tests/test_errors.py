"""Bad input at the public boundary gets a clear error that names the argument and the shapes."""

import numpy as np
import pytest

import bpkit
from bpkit import (
    Network,
    backprop_error,
    bias_gradient,
    forward_step,
    get_activation,
    get_loss,
    init_weights,
    output_error,
    sgd_update,
    softmax_cross_entropy,
    weight_gradient,
)
from bpkit.numgrad import directional_derivative, numerical_gradient, relative_error


def ones(*shape):
    return np.ones(shape)


# --------------------------------------------------------------------------- shapes and dtypes

def test_forward_step_names_the_layer_and_both_shapes():
    with pytest.raises(ValueError, match=r"W\[2\] has shape \(3, 4\) but a\[1\] has 5 rows"):
        forward_step(ones(3, 4), ones(5, 2), ones(3, 1), layer=2)


def test_forward_step_without_a_layer_number_uses_plain_names():
    with pytest.raises(ValueError, match=r"W has shape \(3, 4\) but a_prev has 5 rows; W needs 5 columns"):
        forward_step(ones(3, 4), ones(5, 2), ones(3, 1))


@pytest.mark.parametrize(
    ("args", "pattern"),
    [((ones(4), ones(3, 1)), r"a\[0\] has shape \(4,\) but must be 2-D .* use a column of shape \(4, 1\)"),
     ((ones(4, 1), ones(3)), r"b\[1\] has shape \(3,\) but must be 2-D .* shape \(3, 1\)")],
)
def test_a_1d_array_is_refused_with_the_column_hint(args, pattern):
    a_prev, b = args
    with pytest.raises(ValueError, match=pattern):
        forward_step(ones(3, 4), a_prev, b, layer=1)


@pytest.mark.parametrize("bad_b", [ones(1, 3), ones(3, 2), ones(4, 1)])
def test_forward_step_wrong_bias_shape(bad_b):
    with pytest.raises(ValueError, match=r"b\[2\] has shape \(\d, \d\) but must be \(3, 1\), one bias"):
        forward_step(ones(3, 4), ones(4, 2), bad_b, layer=2)


def test_three_dimensional_and_scalar_inputs_are_refused():
    with pytest.raises(ValueError, match=r"a_prev has shape \(4, 2, 1\) but must be 2-D"):
        forward_step(ones(3, 4), ones(4, 2, 1), ones(3, 1))
    with pytest.raises(ValueError, match=r"delta has shape \(\) but must be 2-D"):
        bias_gradient(np.float64(1.0))


@pytest.mark.parametrize(
    ("bad", "dtype"),
    [(np.ones((3, 4), dtype=complex), "complex128"), (np.ones((3, 4), dtype=object), "object"),
     (np.full((3, 4), "x"), "<U1")],
)
def test_non_real_dtypes_are_a_type_error_naming_the_argument(bad, dtype):
    with pytest.raises(TypeError, match=rf"W\[1\] has dtype {dtype}; expected a real floating array"):
        forward_step(bad, ones(4, 2), ones(3, 1), layer=1)
    with pytest.raises(TypeError, match=rf"delta has dtype {dtype}"):
        bias_gradient(bad)


def test_none_is_a_type_error_naming_the_argument():
    with pytest.raises(TypeError, match=r"a_prev is None; expected a 2-D numpy array"):
        forward_step(ones(3, 4), None, ones(3, 1))
    with pytest.raises(TypeError, match=r"delta\[3\] is None"):
        weight_gradient(None, ones(2, 5), layer=3)


def test_a_ragged_list_is_a_type_error_naming_the_argument():
    with pytest.raises(TypeError, match=r"W could not be made into an array"):
        forward_step([[1.0, 2.0], [3.0]], ones(2, 1), ones(2, 1))


def test_integer_and_boolean_arrays_are_accepted_as_float64():
    z, a = forward_step(np.ones((2, 3), dtype=int), np.ones((3, 1), dtype=bool), np.zeros((2, 1), dtype=int))
    assert z.dtype == a.dtype == np.float64


# --------------------------------------------------------------------------- Equations 1-4, update

def test_equation_1_shape_mismatch():
    with pytest.raises(ValueError, match=r"dL/da\[2\] has shape \(3, 4\) but z\[2\] has shape \(3, 5\)"):
        output_error(ones(3, 4), ones(3, 5), layer=2)
    with pytest.raises(ValueError, match=r"dL/da has shape \(4, 3\) but z has shape \(3, 4\)"):
        output_error(ones(4, 3), ones(3, 4))


def test_equation_2_rows_of_W_next_and_delta_next_must_match():
    with pytest.raises(ValueError, match=r"W\[3\] has shape \(3, 4\) but delta\[3\] has 2 rows"):
        backprop_error(ones(3, 4), ones(2, 5), ones(4, 5), layer=2)
    with pytest.raises(ValueError, match=r"W_next has shape \(3, 4\) but delta_next has 2 rows"):
        backprop_error(ones(3, 4), ones(2, 5), ones(4, 5))


def test_equation_2_z_must_fit_W_next_and_delta_next():
    with pytest.raises(ValueError, match=r"z\[2\] has shape \(5, 4\) but must be \(4, 5\): W\[3\] has 4 col"):
        backprop_error(ones(3, 4), ones(3, 5), ones(5, 4), layer=2)


def test_equation_3_columns_must_match():
    with pytest.raises(ValueError, match=r"delta\[2\] has shape \(3, 4\) but a\[1\] has shape \(2, 5\); "
                                         r"both need the same number of columns"):
        weight_gradient(ones(3, 4), ones(2, 5), layer=2)


def test_equation_4_refuses_a_1d_delta():
    with pytest.raises(ValueError, match=r"delta\[1\] has shape \(3,\) but must be 2-D"):
        bias_gradient(ones(3), layer=1)


@pytest.mark.parametrize(
    ("rate", "error", "pattern"),
    [(0, ValueError, r"learning_rate must be a finite number > 0; got 0"),
     (-0.1, ValueError, r"learning_rate must be a finite number > 0; got -0.1"),
     (float("nan"), ValueError, r"learning_rate must be a finite number > 0; got nan"),
     (float("inf"), ValueError, r"learning_rate must be a finite number > 0; got inf"),
     ("0.1", TypeError, r"learning_rate must be a number; got str"),
     (None, TypeError, r"learning_rate must be a number; got NoneType"),
     (True, TypeError, r"learning_rate must be a number; got bool")],
)
def test_bad_learning_rate(rate, error, pattern):
    with pytest.raises(error, match=pattern):
        sgd_update(ones(2, 3), ones(2, 3), rate)
    net = Network([2, 3, 1])
    with pytest.raises(error, match=pattern):
        net.train(ones(2, 4), ones(1, 4), learning_rate=rate, progress=False)
    with pytest.raises(error, match=pattern):
        net.update([None, ones(3, 2), ones(1, 3)], [None, ones(3, 1), ones(1, 1)], rate)


def test_sgd_update_shape_mismatch_names_the_parameter():
    with pytest.raises(ValueError, match=r"W\[2\] has shape \(2, 3\) but grad of W\[2\] has shape \(3, 2\)"):
        sgd_update(ones(2, 3), ones(3, 2), 0.1, name="W[2]")


# --------------------------------------------------------------------------- losses and activations

@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy", "cross_entropy"])
def test_loss_shape_mismatch(loss):
    fn = get_loss(loss)
    with pytest.raises(ValueError, match=r"a\[L\] has shape \(2, 3\) but y has shape \(3, 2\); they must"):
        fn.value(ones(2, 3) / 2, ones(3, 2))
    with pytest.raises(ValueError, match=r"a\[L\] has shape \(2, 3\) but y has shape \(2, 1\)"):
        fn.gradient(ones(2, 3) / 2, ones(2, 1))
    with pytest.raises(ValueError, match=r"y has shape \(3,\) but must be 2-D"):
        fn.value(ones(3, 1) / 2, ones(3))


def test_softmax_cross_entropy_shape_mismatch():
    with pytest.raises(ValueError, match=r"z\[L\] has shape \(2, 3\) but y has shape \(3, 2\)"):
        softmax_cross_entropy(ones(2, 3), ones(3, 2))


def test_a_loss_of_an_empty_batch_is_an_error_not_nan():
    with pytest.raises(ValueError, match=r"a\[L\] has shape \(2, 0\): no examples"):
        get_loss("mse").value(np.ones((2, 0)), np.ones((2, 0)))
    with pytest.raises(ValueError, match=r"z\[L\] has shape \(2, 0\): no examples"):
        softmax_cross_entropy(np.ones((2, 0)), np.ones((2, 0)))


def test_unknown_activation_loss_and_initialisation():
    with pytest.raises(ValueError, match=r"unknown activation 'sigmod'; choose one of"):
        get_activation("sigmod")
    with pytest.raises(ValueError, match=r"unknown activation 'sigmod'"):
        forward_step(ones(3, 4), ones(4, 1), ones(3, 1), "sigmod")
    with pytest.raises(ValueError, match=r"unknown loss 'l2'; choose one of"):
        get_loss("l2")
    with pytest.raises(ValueError,
                       match=r"unknown initialisation 'glorot'; choose one of \('xavier', 'he', 'normal'\)"):
        init_weights([2, 3], "glorot")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"])
def test_calling_an_activation_on_bad_input(name):
    act = get_activation(name)
    with pytest.raises(TypeError, match=r"z is None"):
        act(None)
    with pytest.raises(TypeError, match=r"z has dtype complex128; expected a real floating array"):
        act(np.ones((2, 2), dtype=complex))
    with pytest.raises(TypeError, match=r"z has dtype <U1"):
        act(np.full((2, 2), "a"))
    with pytest.raises(ValueError, match=r"grad_a has shape \(3, 1\) but z has shape \(3, 4\); they must"):
        act.backward(ones(3, 4), ones(3, 1))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_activations_accept_lists_scalars_and_integers(name):
    act = get_activation(name)
    as_array = act(np.array([[1.0, -2.0]]))
    np.testing.assert_array_equal(act([[1.0, -2.0]]), as_array)
    np.testing.assert_array_equal(act(np.array([[1, -2]])), as_array)
    assert float(act(np.array(1.0))) == float(as_array[0, 0])  # a 0-d array
    assert float(act(1.0)) == float(as_array[0, 0])
    assert float(act.derivative(np.array(-2.0))) == float(act.derivative(np.array([[1.0, -2.0]]))[0, 1])
    from_floats = act.derivative(np.array([[1.0, -2.0]]))
    np.testing.assert_array_equal(act.derivative(np.array([[1, -2]])), from_floats)


# --------------------------------------------------------------------------- the network

@pytest.mark.parametrize("sizes", [[3], [], [3, 0], [3, -2], [3, 2.5], [3, "4"], "abc"])
def test_network_with_bad_sizes(sizes):
    with pytest.raises(ValueError,
                       match=r"sizes must list at least two positive integers \[n_0, \.\.\., n_L\]"):
        Network(sizes)


@pytest.mark.parametrize("sizes", [None, 3])
def test_network_sizes_must_be_a_list(sizes):
    with pytest.raises(TypeError, match=r"sizes must be a list of layer widths \[n_0, \.\.\., n_L\]"):
        Network(sizes)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, complex, "float128-ish"])
def test_network_and_init_refuse_other_dtypes(dtype):
    with pytest.raises(TypeError, match=r"dtype must be float64 or float32; got"):
        Network([2, 3], dtype=dtype)
    with pytest.raises(TypeError, match=r"dtype must be float64 or float32; got"):
        init_weights([2, 3], dtype=dtype)


def test_network_with_unknown_activation_loss_or_init():
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        Network([2, 3], hidden="relu6")
    with pytest.raises(ValueError, match="unknown activation 'sofmax'"):
        Network([2, 3], output="sofmax")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        Network([2, 3], loss="hinge")
    with pytest.raises(ValueError, match="unknown initialisation 'zeros'"):
        Network([2, 3], init="zeros")


def test_network_forward_with_wrong_input_rows():
    net = Network([4, 3, 2])
    with pytest.raises(ValueError, match=r"X has shape \(3, 5\) but the network takes 4 inputs: "
                                         r"X needs shape \(4, m\), one column per example"):
        net.forward(ones(3, 5))
    with pytest.raises(ValueError, match=r"X has shape \(4,\) but must be 2-D .* shape \(4, 1\)"):
        net.predict(ones(4))


def test_network_train_with_wrong_Y_shape():
    net = Network([4, 3, 2])
    with pytest.raises(ValueError, match=r"Y has shape \(5, 2\) but must be \(2, 5\): one column of 2"):
        net.train(ones(4, 5), ones(5, 2), progress=False)
    with pytest.raises(ValueError, match=r"Y has shape \(2, 4\) but must be \(2, 5\)"):
        net.loss(ones(4, 5), ones(2, 4))
    with pytest.raises(ValueError, match=r"Y has shape \(1, 5\) but must be \(2, 5\)"):
        net.gradients(ones(4, 5), ones(1, 5))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"epochs": -1}, r"epochs must be an integer >= 0; got -1"),
     ({"epochs": 2.5}, r"epochs must be an integer >= 0; got 2.5"),
     ({"batch_size": 0}, r"batch_size must be an integer >= 1; got 0"),
     ({"batch_size": "8"}, r"batch_size must be an integer >= 1; got '8'"),
     ({"epochs": True}, r"epochs must be an integer >= 0; got True"),
     ({"batch_size": True}, r"batch_size must be an integer >= 1; got True")],
)
def test_network_train_with_bad_epochs_or_batch_size(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        Network([2, 3, 1]).train(ones(2, 4), ones(1, 4), progress=False, **kwargs)


def test_network_train_checks_the_validation_data_before_training():
    net = Network([2, 3, 1])
    W_before = net.W[1].copy()
    with pytest.raises(ValueError, match=r"X_val has shape \(3, 6\) but the network takes 2 inputs"):
        net.train(ones(2, 4), ones(1, 4), validation=(ones(3, 6), ones(1, 6)), progress=False)
    with pytest.raises(ValueError, match=r"Y_val has shape \(2, 6\) but must be \(1, 6\)"):
        net.train(ones(2, 4), ones(1, 4), validation=(ones(2, 6), ones(2, 6)), progress=False)
    with pytest.raises(TypeError, match=r"validation must be a pair \(X_val, Y_val\)"):
        net.train(ones(2, 4), ones(1, 4), validation=ones(2, 6), progress=False)
    np.testing.assert_array_equal(net.W[1], W_before)  # nothing was trained


def test_network_accuracy_with_labels_of_the_wrong_shape():
    net = Network([3, 4, 2], output="softmax", loss="ce")
    with pytest.raises(ValueError, match=r"Y has shape \(4,\) but X has 5 examples"):
        net.accuracy(ones(3, 5), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"Y has shape \(3, 5\) but must be \(2, 5\) \(one-hot or targets\) "
                                         r"or \(5,\) \(integer labels\)"):
        net.accuracy(ones(3, 5), ones(3, 5))
    with pytest.raises(ValueError, match=r"Y has shape \(1, 5\) .* for integer labels pass a 1-D array"):
        net.accuracy(ones(3, 5), np.array([[0, 1, 1, 0, 1]]))


def test_network_backward_needs_a_cache_from_forward():
    net = Network([3, 4, 2])
    with pytest.raises(TypeError, match=r"cache must be the Cache returned by forward\(\); got NoneType"):
        net.backward(None, ones(2, 1))
    other = Network([3, 4, 4, 2]).forward(ones(3, 1))
    with pytest.raises(ValueError, match=r"cache has 3 layers but the network has 2"):
        net.backward(other, ones(2, 1))


def test_network_update_needs_one_gradient_per_layer():
    net = Network([3, 4, 2])
    with pytest.raises(ValueError, match=r"dW has 2 entries but must have L \+ 1 = 3 \(entry 0 is None\)"):
        net.update([None, ones(4, 3)], [None, ones(4, 1), ones(2, 1)], 0.1)
    with pytest.raises(ValueError, match=r"W\[2\] has shape \(2, 4\) but grad of W\[2\] has shape \(4, 2\)"):
        net.update([None, ones(4, 3), ones(4, 2)], [None, ones(4, 1), ones(2, 1)], 0.1)


# --------------------------------------------------------------------------- numerical gradients

@pytest.mark.parametrize("h", [0, -1e-5, float("nan"), "1e-5"])
def test_numerical_gradient_needs_a_positive_step(h):
    error = TypeError if isinstance(h, str) else ValueError
    with pytest.raises(error, match=r"h must be"):
        numerical_gradient(lambda v: float(np.sum(v)), ones(2, 1), h=h)
    with pytest.raises(error, match=r"h must be"):
        directional_derivative(lambda v: float(np.sum(v)), ones(2, 1), ones(2, 1), h=h)


def test_numerical_gradient_needs_a_scalar_function():
    x = ones(2, 1)
    with pytest.raises(TypeError, match=r"f must return a single number; got ndarray of shape \(2, 1\)"):
        numerical_gradient(lambda v: v * 2, x)
    np.testing.assert_array_equal(x, ones(2, 1))  # and x is restored
    with pytest.raises(TypeError, match=r"f must return a single number; got NoneType"):
        directional_derivative(lambda v: None, x, ones(2, 1))


def test_directional_derivative_direction_errors():
    with pytest.raises(ValueError, match=r"direction has shape \(3, 1\) but x has shape \(2, 1\)"):
        directional_derivative(lambda v: 0.0, ones(2, 1), ones(3, 1))
    with pytest.raises(ValueError, match=r"direction must not be all zeros"):
        directional_derivative(lambda v: 0.0, ones(2, 1), np.zeros((2, 1)))


def test_relative_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"a has shape \(2,\) but b has shape \(3,\); they must match"):
        relative_error(np.ones(2), np.ones(3))


def test_every_public_name_is_exported():
    for name in bpkit.__all__:
        assert hasattr(bpkit, name), name
