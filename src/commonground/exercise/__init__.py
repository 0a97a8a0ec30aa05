"""HDB sales exercises: several projects at once, queue numbers, booking under the caps, exercises in a row.

``rules`` (ballot chances, first-timer quotas, scheme shares), ``mechanics`` (queue numbers, booking), ``towns``
(an embedded table of real HDB towns), ``run`` (several exercises in a row on those towns).
"""

from commonground.exercise.run import ExerciseParams, ExerciseRun, run_exercises

__all__ = ["ExerciseParams", "ExerciseRun", "run_exercises"]
