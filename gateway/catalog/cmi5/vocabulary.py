"""IRIs and value spaces defined by the cmi5 specification (Quartz edition)."""

from __future__ import annotations

from typing import Final, Literal

NAMESPACE: Final = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"

ADL_VERBS: Final = "http://adlnet.gov/expapi/verbs/"
LAUNCHED: Final = ADL_VERBS + "launched"
INITIALIZED: Final = ADL_VERBS + "initialized"
COMPLETED: Final = ADL_VERBS + "completed"
PASSED: Final = ADL_VERBS + "passed"
FAILED: Final = ADL_VERBS + "failed"
TERMINATED: Final = ADL_VERBS + "terminated"
ABANDONED: Final = "https://w3id.org/xapi/adl/verbs/abandoned"
WAIVED: Final = "https://w3id.org/xapi/adl/verbs/waived"
SATISFIED: Final = "https://w3id.org/xapi/adl/verbs/satisfied"
VOIDED: Final = ADL_VERBS + "voided"

# Verbs an AU may use in cmi5 defined statements, by short name (9.3).
AU_VERBS: Final = {
    INITIALIZED: "initialized",
    COMPLETED: "completed",
    PASSED: "passed",
    FAILED: "failed",
    TERMINATED: "terminated",
}
# Verbs only the LMS issues.
LMS_VERBS: Final = frozenset({LAUNCHED, ABANDONED, WAIVED, SATISFIED})

VERB_DISPLAY: Final = {
    LAUNCHED: "Launched",
    SATISFIED: "Satisfied",
    ABANDONED: "Abandoned",
}

CATEGORY_CMI5: Final = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CATEGORY_MOVEON: Final = "https://w3id.org/xapi/cmi5/context/categories/moveon"

EXT_SESSION_ID: Final = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
EXT_MASTERY_SCORE: Final = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
EXT_LAUNCH_MODE: Final = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
EXT_LAUNCH_URL: Final = "https://w3id.org/xapi/cmi5/context/extensions/launchurl"
EXT_MOVE_ON: Final = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
EXT_LAUNCH_PARAMETERS: Final = "https://w3id.org/xapi/cmi5/context/extensions/launchparameters"
EXT_PROGRESS: Final = "https://w3id.org/xapi/cmi5/result/extensions/progress"
EXT_REASON: Final = "https://w3id.org/xapi/cmi5/result/extensions/reason"

TYPE_COURSE: Final = "https://w3id.org/xapi/cmi5/activitytype/course"
TYPE_BLOCK: Final = "https://w3id.org/xapi/cmi5/activitytype/block"

LAUNCH_DATA_STATE_ID: Final = "LMS.LaunchData"
LEARNER_PREFERENCES_PROFILE_ID: Final = "cmi5LearnerPreferences"

MoveOn = Literal["NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed"]
MOVE_ON_VALUES: Final = (
    "NotApplicable",
    "Passed",
    "Completed",
    "CompletedAndPassed",
    "CompletedOrPassed",
)
LaunchMethod = Literal["AnyWindow", "OwnWindow"]
LAUNCH_METHODS: Final = ("AnyWindow", "OwnWindow")
LaunchMode = Literal["Normal", "Browse", "Review"]
LAUNCH_MODES: Final = ("Normal", "Browse", "Review")

# Launch URL parameters the LMS adds (8.1); an AU URL must not use these names itself.
LAUNCH_PARAMETERS: Final = ("endpoint", "fetch", "actor", "registration", "activityId")
