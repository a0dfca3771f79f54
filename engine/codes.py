"""Every diagnostic code, with what it means: one dict, the one home of the codes.

A diagnostic (engine/diagnostics.py) carries one of these codes from YAML to the API. `tests/test_codes.py` walks
the sources of engine/, api/ and greencert_cli/ and checks that every code they raise is here, and that every code
here is named in the documentation (docs/diagnostics.md for the loading stages, docs/api.md for the service)."""

from __future__ import annotations

__all__ = ["CODES", "WARNINGS"]

CODES: dict[str, str] = {
    # reading files
    "file_not_found": "a path given does not exist",
    "file_unreadable": "the file exists but cannot be read",
    "file_encoding_error": "the file is not UTF-8",
    "yaml_syntax_error": "the YAML cannot be parsed",
    "json_syntax_error": "a JSON document is not valid JSON",
    "yaml_duplicate_key": "a key appears twice in one mapping",
    "yaml_empty_document": "the file holds nothing but comments or whitespace",
    "yaml_alias_refused": "a YAML request body uses anchors or aliases, which the service does not accept",
    "no_rule_files": "a folder given to `greencert validate` holds no rule file",
    "document_too_large": "the document is larger than the reader accepts",
    "document_too_deep": "the document is nested deeper than the reader accepts",
    "too_many_nodes": "the document holds more values than the reader accepts",
    "invalid_text": "text holding a NUL character or a lone surrogate",
    "number_out_of_range": "a number that fits no double (1e400, a 400-digit integer, NaN written as `.nan`)",
    "unknown_format": "the file is neither a catalogue entry, a rule set, an overlay nor the scheme",
    # catalogue entries
    "catalog_schema_error": "the entry does not have the catalogue's shape",
    "catalog_reference_error": "a name the entry does not define",
    "catalog_duplicate_id": "an id used twice in the catalogue",
    "catalog_unit_error": "a unit that cannot be parsed, or a quantity indicator without a unit",
    "catalog_provenance_deprecated": "warning: `status: confirmed` on a standard or implementation rule",
    # rule sets
    "rules_schema_error": "the rule set does not have the rule-set shape",
    "rules_reference_error": "a name the catalogue does not define",
    "rules_unit_error": "a requirement's unit that cannot be parsed or converted",
    "rules_requirement_error": "a requirement whose operator or value does not fit its indicator",
    "rules_compile_error": "a rule set durable-rules refuses to hold",
    "rules_duplicate_id": "an id used twice in a rule set, or a rule set id in two files",
    "rules_provenance_error": "a number without a source, or a source without a number",
    "rules_provenance_deprecated": "warning: `status: confirmed` in a provenance",
    "rules_edition_error": "`in_force` dates that contradict each other",
    "rules_edition_overlap": "two editions of one category in force on the same day",
    "rules_label_error": "a label that lacks what its kind needs",
    "rules_unreachable": "something that can never take effect",
    # the scheme
    "scheme_schema_error": "the scheme file does not have its shape",
    "scheme_provenance_error": "a certificate setting shipped as a number without a source",
    "scheme_provenance_deprecated": "warning: `status: confirmed` on a measure or setting",
    "scheme_duplicate": "a second scheme file, or a measure id used twice",
    # overlays
    "overlay_schema_error": "the overlay does not have the overlay's shape, or the rule set it makes does not",
    "overlay_target_error": "an overlay names a rule set, criterion or label that does not exist",
    "overlay_duplicate_id": "an overlay adds an item whose id already exists in the rule set",
    "overlay_not_checked": "overlays are checked once the rule sets they target validate",
    "overlay_owner_missing": "the service loads overlays but no organisation owns them",
    # applications (intake)
    "application_schema_error": "the application does not have the application's shape",
    "application_reference_error": "a name the category does not define (indicator, parameter, unit, label)",
    "application_unit_error": "a result's unit that cannot be parsed or converted",
    "application_unit_mismatch": "a product parameter does not fit the certification unit named",
    "application_value_error": "a product parameter of the wrong type or not one of its choices",
    "application_missing_parameter": "a product parameter needed to tell whether criteria apply is missing",
    "application_rejected": "the engine rejected the application before evaluating it",
    "edition_not_in_force": "no edition of the category is in force on the evaluation date",
    # bulk evaluation
    "evaluation_error": "an application of a bulk run could not be evaluated (a bug in greencert)",
    "worker_failed": "the worker process evaluating an application of a bulk run stopped twice",
    # the BDD kit
    "bdd_missing_context": "a step needs a Given step that did not come first",
    "bdd_reference_error": "a step names a rule set, criterion, label or report that does not exist",
    "bdd_unknown_indicator": "a step names an indicator the category does not have",
    "bdd_unit_error": "a step gives a unit that cannot be parsed",
    "bdd_value_error": "a step gives a value that cannot be read",
    # the service
    "request_validation_error": "the request does not have the shape the endpoint expects",
    "request_timeout": "the request took longer than the service allows",
    "body_too_large": "the request body is larger than the service accepts",
    "service_busy": "every worker is busy; retry later",
    "shutting_down": "the service is stopping",
    "database_unavailable": "the database cannot be reached",
    "schema_out_of_date": "the database schema is not at the revision the service expects (`greencert migrate`)",
    "no_rulesets": "the service has no rule set loaded",
    "snapshot_missing": "the rule-set version of a stored decision is not stored",
    "snapshot_unreadable": "a stored decision's rule-set snapshot cannot be read",
    "internal_error": "an error in the service itself (reported, never a traceback)",
    "unknown_category": "the request names a category the service does not have",
    "batch_too_large": "a batch holds more items than the service accepts in one request",
    "idempotency_key_reused": "an Idempotency-Key already used for a different request",
    "json_value_error": "a JSON number that is not finite or does not fit a double",
    "unsupported_media_type": "the request body is neither JSON nor YAML",
    "unauthenticated": "the endpoint needs an API key",
    "invalid_api_key": "the API key is unknown or revoked",
    "forbidden": "the key's role may not do this",
    "too_many_failed_authentications": "too many failed authentications from one address",
    "too_many_problems": "a document with more problems than are listed: the count of the others",
    "unsupported_charset": "HTTP 415: the body's charset is not one the service reads",
    "body_encoding_error": "the body's bytes are not valid in its charset",
    "time_limit_exceeded": "reading and checking the body took longer than the service allows",
    "client_disconnected": "the client left while its body was read; the work was stopped",
    "certificate_busy": "a certificate changed by too many writers at once; retry",
    "certificate_prefix_taken": "the certificate number prefix belongs to another organisation",
    "impact_edition_unknown": "an impact analysis names an edition the category does not have",
    "impact_overlay_target": "a what-if overlay of an impact job targets another rule set than the edition analysed",
    "impact_job_busy": "the body already has an impact job queued or running, or the service runs as many as it allows",
    "impact_job_not_finished": "the results of an impact job that has not finished were asked for",
    "impact_job_failed": "an impact job failed (its diagnostics say why), or its process could not be started",
    "impact_job_lost": "an impact job's process ended, or fell silent, before the job finished",
    "draw_size_invalid": "a random draw asks for a number of certificates outside the allowed range",
    "draw_certificate_not_drawn": "a check recorded for a certificate the draw did not select",
    # the HTTP status of an error the service did not describe itself
    "bad_request": "HTTP 400",
    "not_found": "HTTP 404: no such resource",
    "method_not_allowed": "HTTP 405",
    "not_acceptable": "HTTP 406",
    "conflict": "HTTP 409",
    "invalid_request": "HTTP 422",
    "too_many_requests": "HTTP 429: the rate limit was reached",
    "service_unavailable": "HTTP 503",
    "http_error": "an HTTP error of another status",
}

WARNINGS = frozenset({"catalog_provenance_deprecated", "rules_provenance_deprecated", "scheme_provenance_deprecated"})
