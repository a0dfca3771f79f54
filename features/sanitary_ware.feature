@sanitary_ware
Feature: Sanitary ware (卫生陶瓷) — GB/T 35603-2017 until 2024-12-31, GB/T 35603-2024 from 2025-01-01
  Water use (flush volume) is the one indicator shipped for sanitary ware. Its green limit is not known for either
  edition, so the criterion stays undetermined until a certification body supplies it by overlay; the flush
  classes of the old product standard (water-saving WC ≤ 6 L, squat pan ≤ 8 L) are context only and are not
  applied. GB/T 35603-2024 replaced the 2017 edition on 2025-01-01 with no transition period.

  Background:
    Given the category is sanitary_ware
    And the product model is "CT-3600 节水型坐便器"
    And the product parameter product_type is wc_pan

  Scenario Outline: Complete evidence waits for the flush-volume limit under each edition
    Given the evaluation date is <date>
    And a test report "CMA-WC-<issued>" issued on <issued> by "National Ceramics Quality Inspection Centre" with:
      | indicator | value | unit |
      | 冲洗水量  | 4.2   | L    |
    And the laboratory holds CMA
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | <valid>     |
      | GB/T 24001-2016 | <valid>     |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on <inspected>
    When the application is evaluated
    Then the decision applies <edition>
    And the verdicts are:
      | criterion                | verdict      | reason            |
      | flush_volume             | undetermined | limit_unconfirmed |
      | quality_management       | pass         |                   |
      | environmental_management | pass         |                   |
      | no_major_accident        | pass         |                   |
      | pollutant_discharge      | pass         |                   |
      | product_standard         | pass         |                   |
      | factory inspection       | pass         |                   |
    And the measured value for flush_volume is 4.2 L
    And the missing evidence includes a limit value for flush_volume
    And the eligible labels are none
    And the outcome is incomplete

    Examples:
      | date       | issued     | inspected  | valid      | edition         |
      | 2024-06-01 | 2024-03-01 | 2024-04-10 | 2027-01-01 | GB/T 35603-2017 |
      | 2026-11-01 | 2026-08-01 | 2026-09-10 | 2028-03-01 | GB/T 35603-2024 |

  Scenario Outline: The edition in force on the evaluation date is applied
    Given an application that meets every requirement
    When the application is evaluated on <date>
    Then the decision applies <edition>

    Examples:
      | date       | edition         |
      | 2024-12-31 | GB/T 35603-2017 |
      | 2025-01-01 | GB/T 35603-2024 |

  Scenario Outline: With the certification body's limit for GB/T 35603-2024, the flush volume decides
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/sanitary_ware
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator    | value   | unit   |
      | flush_volume | <value> | <unit> |
    When the application is evaluated
    Then the criterion flush_volume <verdict>
    And the label resource is <label>
    And the outcome is <outcome>

    Examples:
      | value | unit | verdict | label        | outcome |
      | 4.2   | L    | passes  | eligible     | granted |
      | 5000  | mL   | passes  | eligible     | granted |
      | 6     | L    | fails   | not eligible | refused |

  Scenario Outline: Each basic requirement must be proved
    Given the evaluation date is <date>
    And an application that meets every requirement except <requirement>
    When the application is evaluated
    Then the basic requirement <requirement> is missing
    And the missing evidence includes a <kind> for <requirement>
    And the outcome is incomplete

    Examples:
      | date       | requirement              | kind        |
      | 2024-06-01 | quality_management       | certificate |
      | 2024-06-01 | environmental_management | certificate |
      | 2024-06-01 | no_major_accident        | declaration |
      | 2024-06-01 | pollutant_discharge      | declaration |
      | 2024-06-01 | product_standard         | declaration |
      | 2026-11-01 | quality_management       | certificate |
      | 2026-11-01 | environmental_management | certificate |
      | 2026-11-01 | no_major_accident        | declaration |
      | 2026-11-01 | pollutant_discharge      | declaration |
      | 2026-11-01 | product_standard         | declaration |

  Scenario Outline: The factory inspection gates every label
    Given the evaluation date is <date>
    And an application that meets every requirement except the factory inspection
    And the factory inspection <inspection>
    When the application is evaluated
    Then the factory inspection <verdict>
    And the eligible labels are none
    And the label green_product is <label>
    And the outcome is <outcome>

    Examples:
      | date       | inspection                                   | verdict    | label        | outcome    |
      | 2024-06-01 | failed on 2024-04-10                         | fails      | not eligible | refused    |
      | 2026-11-01 | failed on 2026-09-10                         | fails      | not eligible | refused    |
      | 2026-11-01 | required corrective action due by 2026-10-01 | fails      | not eligible | refused    |
      | 2026-11-01 | required corrective action due by 2026-12-01 | is pending | undetermined | incomplete |
