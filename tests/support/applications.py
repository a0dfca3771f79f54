"""Applications more than one test builds (as the data an application file holds)."""

from __future__ import annotations

from typing import Any


def wood_panel_grade_application(inspection: str, detection_limit: float) -> dict[str, Any]:
    """A wood-panel application asking for the formaldehyde grade only, with a not-detected emission result and
    every basic requirement met (tests/engine/test_report_grades.py, tests/web/test_self_check_page.py)."""
    return {
        "format": "greencert/application@1", "id": "GRADE-1", "category": "wood_panels",
        "scope": ["formaldehyde_grade"], "product": {"model": "SF-1218"},
        "evidence": {
            "test_reports": [{"id": "R1", "laboratory": {"name": "Lab", "qualifications": ["CMA"]},
                              "issued": "2025-01-12", "model": "SF-1218",
                              "results": [{"indicator": "formaldehyde_emission", "not_detected": True,
                                           "detection_limit": detection_limit, "unit": "mg/m^3"}]}],
            "factory_inspection": {"outcome": inspection},
            "certificates": [{"standard": "GB/T 19001-2016", "valid_until": "2028-03-01"},
                             {"standard": "GB/T 24001-2016", "valid_until": "2028-03-01"}],
            "declarations": [{"id": "no_major_accident"}, {"id": "pollutant_discharge_compliant"},
                             {"id": "product_standard_compliant"}],
        },
    }
