"""Contains all the data models used in inputs/outputs"""

from .artifact import Artifact
from .bundle_request import BundleRequest
from .counts import Counts
from .day_usage import DayUsage
from .error_code import ErrorCode
from .failure import Failure
from .field_error import FieldError
from .file_input import FileInput
from .job import Job
from .job_page import JobPage
from .job_status import JobStatus
from .kind import Kind
from .kind_request import KindRequest
from .length import Length
from .level import Level
from .links import Links
from .options import Options
from .plan import Plan
from .planned_step import PlannedStep
from .problem import Problem
from .progress import Progress
from .quality import Quality
from .source import Source
from .source_file import SourceFile
from .source_input import SourceInput
from .step import Step
from .step_status import StepStatus
from .upload_form import UploadForm
from .upload_form_request_type_0 import UploadFormRequestType0
from .usage import Usage
from .usage_report import UsageReport
from .violation import Violation

__all__ = (
    "Artifact",
    "BundleRequest",
    "Counts",
    "DayUsage",
    "ErrorCode",
    "Failure",
    "FieldError",
    "FileInput",
    "Job",
    "JobPage",
    "JobStatus",
    "Kind",
    "KindRequest",
    "Length",
    "Level",
    "Links",
    "Options",
    "Plan",
    "PlannedStep",
    "Problem",
    "Progress",
    "Quality",
    "Source",
    "SourceFile",
    "SourceInput",
    "Step",
    "StepStatus",
    "UploadForm",
    "UploadFormRequestType0",
    "Usage",
    "UsageReport",
    "Violation",
)
