"""The mapping file (crmsync.yaml): validated models, loading, and canonical value transforms."""

from .base import Side
from .conditions import Condition, Inclusion, InclusionContext
from .fields import Direction, FieldMapping, SideValues, TransformKind, TransformSpec
from .load import MappingError, Problem, format_entry, load_mapping, parse_mapping
from .matching import MatchKey, Normalizer, normalize, normalize_company_name
from .models import Mapping
from .owners import OwnerDirectory
from .pairs import (
    ApprovalThresholds,
    AssociationMapping,
    CreatePolicy,
    CrossReference,
    DeleteAction,
    DeletePolicy,
    Junction,
    ObjectPair,
)
from .resolvers import Resolution, Resolver, ResolverInput, import_resolver
from .transforms import (
    NO_CONTEXT,
    Transform,
    TransformContext,
    TransformError,
    UnmappedValueError,
    ValueTooLongError,
    bare_domain,
    canonical_text,
    fit_length,
    normalize_email,
    same_canonical,
    to_bool,
    to_number,
    written_as_typed,
)
from .value_maps import DealStages, StageTransform, Unmapped, ValueMap

__all__ = [
    "NO_CONTEXT",
    "ApprovalThresholds",
    "AssociationMapping",
    "Condition",
    "CreatePolicy",
    "CrossReference",
    "DealStages",
    "DeleteAction",
    "DeletePolicy",
    "Direction",
    "FieldMapping",
    "Inclusion",
    "InclusionContext",
    "Junction",
    "Mapping",
    "MappingError",
    "MatchKey",
    "Normalizer",
    "ObjectPair",
    "OwnerDirectory",
    "Problem",
    "Resolution",
    "Resolver",
    "ResolverInput",
    "Side",
    "SideValues",
    "StageTransform",
    "Transform",
    "TransformContext",
    "TransformError",
    "TransformKind",
    "TransformSpec",
    "Unmapped",
    "UnmappedValueError",
    "ValueMap",
    "ValueTooLongError",
    "bare_domain",
    "canonical_text",
    "fit_length",
    "format_entry",
    "import_resolver",
    "load_mapping",
    "normalize",
    "normalize_company_name",
    "normalize_email",
    "parse_mapping",
    "same_canonical",
    "to_bool",
    "to_number",
    "written_as_typed",
]
