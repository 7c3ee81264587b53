"""course.arguments: one wording for a model, data or history the trace or a widget cannot use."""
import keras
import numpy as np
import pytest

from course import arguments
from course.arguments import TraceError, TraceTypeError, check_data, check_model, history_values, row_shape


def test_a_model_that_is_not_sequential_names_the_tool_and_the_fix():
    inputs = keras.Input(shape=(5,))
    functional = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    with pytest.raises(TraceTypeError, match=r"ActivationInspector needs a keras.Sequential model, "
                                             r"but it got a Functional model.*keras.Input\(shape=\(5,\)\)"):
        check_model(functional, (5,), tool="ActivationInspector")
    with pytest.raises(TypeError, match="The pipeline trace needs .* a list, not a Keras model"):
        check_model([keras.layers.Dense(1)])


def test_model_and_data_checks():
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(2)])
    assert check_model(model) == (5,)
    with pytest.raises(TraceError, match="not built yet"):
        check_model(keras.Sequential([keras.layers.Dense(2)]))
    assert check_data(np.zeros((3, 5)), (5,)).shape == (3, 5)
    with pytest.raises(TraceError, match="expects 5 features per row.*x has 4 columns"):
        check_data(np.zeros((3, 4)), (5,))
    with pytest.raises(TraceTypeError, match="array of numbers"):
        check_data(np.array([["a"] * 5]), (5,))
    assert row_shape(np.zeros((3, 5))) == (5,) and row_shape([1, 2]) is None


def test_history_values():
    assert history_values(None) is None
    assert history_values({"loss": np.array([0.5, 0.4])}) == {"loss": [0.5, 0.4]}
    with pytest.raises(TraceTypeError, match="what model.fit returns"):
        history_values([0.5])
    with pytest.raises(TraceError, match="no 'loss' values"):
        history_values({"accuracy": [0.5]})


def test_the_one_sequential_check_is_model_facts():
    from course import model_facts

    assert arguments.model_facts is model_facts
