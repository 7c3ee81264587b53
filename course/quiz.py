"""The course quiz: the ReLU question and seven more, one per idea taught.

Answer keys are stored as salted SHA-256 digests, not letters, so reading this
file does not give the answers away; :func:`is_correct` compares a letter with
the digest.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from course.widgets.quiz import QuizQuestion, answer_of

SALT = "keras-sequential-course"


@dataclass(frozen=True)
class Question:
    number: int
    lesson: str
    text: str
    options: dict[str, str]
    key_digest: str
    explanation: str  # shown after a correct answer

    @property
    def variable(self) -> str:
        return f"answer_q{self.number}"


def digest(number: int, letter: str) -> str:
    return hashlib.sha256(f"{SALT}:{number}:{letter.upper()}".encode()).hexdigest()


QUESTIONS = [
    Question(1, "03 Dense layers", "What does the ReLU activation function do in the Dense layers?",
             {"A": "It outputs values between -1 and 1",
              "B": "It scales all values between 0 and 1",
              "C": "It changes all negative values to zero and keeps positive values as is",
              "D": "It sums all inputs without change"},
             "d0265c7ad9428381879e86a82ff49a9c912447133ff35ba836fa600233bd5ac5",
             "ReLU(z) = max(0, z): negatives become 0, positives pass unchanged."),
    Question(2, "04 Output layer", "The output layer gives 0.8 for a sample. What does 0.8 mean?",
             {"A": "80 % of the sample's features are positive",
              "B": "The model's estimate of the probability that the sample's label is 1",
              "C": "The loss for that sample",
              "D": "The sample belongs to class 0.8"},
             "9138c1a25ef01c85a5ac6c33c3c6a0533d61046fb91c868188d0e159e03fc587",
             "Sigmoid squeezes the last score into (0, 1): a probability of class 1."),
    Question(3, "02 Normalization", "What does normalizer.adapt(x) learn?",
             {"A": "The weights of the Dense layers",
              "B": "The labels of the training data",
              "C": "The learning rate",
              "D": "Each feature's mean and variance over x"},
             "94cbe30d4f197a385f1424d6111998dda113c13123313984b053007f4ef12835",
             "adapt computes per-feature statistics; the layer then subtracts the mean and divides by the standard deviation."),
    Question(4, "02 Normalization", "Why does the pipeline normalize the features first?",
             {"A": "Keras refuses data that is not normalized",
              "B": "Features on very different scales make some dominate and slow down training; "
                   "normalization puts them on a common scale",
              "C": "It removes label noise",
              "D": "It reduces the number of samples"},
             "836c0eb3ab7b579c969725861b60ac85d6b475d36c37a0d494a9738c69d9b1c5",
             "With raw scales from 0.01 to 1000, the large features dominate the first layer's sums."),
    Question(5, "03 Dense layers", "How many parameters does Dense(32) have when it follows Dense(64)?",
             {"A": "2048", "B": "96", "C": "2080", "D": "32"},
             "55868c5be9ca9d0e47fcc4b29f529990b9bef1e7014610998d4451c3c9240c54",
             "64 inputs x 32 units = 2048 weights, plus 32 biases = 2080."),
    Question(6, "05 Training", "fit(x, y, epochs=5, batch_size=32) on 1000 samples: how many weight "
                               "updates happen in one epoch?",
             {"A": "32", "B": "1000", "C": "5", "D": "31"},
             "a3edf5d1f138695d57040602df921fd443807079f013ebee4f178625c9c1ad05",
             "ceil(1000 / 32) = 32 batches, one update per batch; an epoch is one pass over all samples."),
    Question(7, "05 Training", "Loss falls 0.65 → 0.30 while accuracy rises 0.60 → 0.89 over 5 epochs. "
                               "What does that tell you?",
             {"A": "The model is certainly overfitting",
              "B": "The learning rate is too high",
              "C": "The model is learning: its predictions on the training data get better every epoch",
              "D": "The data was not normalized"},
             "9f471cf407045e6bb5b9b41e04c2be722a8d6e93d9b1dd8347f5bca2561e513d",
             "A steadily falling training loss means learning; overfitting needs held-out data to judge."),
    Question(8, "06 Prediction trace", "The reference trace shows 5 layers. How many does model.layers list "
                                       "for Sequential([keras.Input((20,)), Normalization, Dense, Dense, Dense])?",
             {"A": "5", "B": "4", "C": "3", "D": "6"},
             "b2147bbbdd21f78b07c1e2a63e09f82cc06101a1fa5d0616e7fd014a38281da1",
             "keras.Input is not a layer of the model; the reference trace counts the input data as stage 1."),
]


def is_correct(question: Question, value) -> bool:
    """True when ``value`` (a letter, or a QuizQuestion) is the right answer."""
    return digest(question.number, answer_of(value, question.options)) == question.key_digest


def feedback(question: Question):
    """The Check button's callback: letter -> (correct, message)."""
    def check(letter: str) -> tuple[bool, str]:
        if is_correct(question, letter):
            return True, f"Correct. {question.explanation}"
        return False, "Not quite: re-read the lesson named above and try again."
    return check


def ask(number: int, answer: str | None = None) -> QuizQuestion:
    """Show question ``number`` as radio buttons with a Check button."""
    question = QUESTIONS[number - 1]
    return QuizQuestion(f"Q{number} ({question.lesson}). {question.text}", question.options,
                        check=feedback(question), name=question.variable, answer=answer)
