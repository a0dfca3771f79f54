@ceramic_tiles
Feature: Ceramic tiles and panels (陶瓷砖（板）) — GB/T 35610-2017 / GB/T 35610-2024, implementation rule CNCA-CGP-09:2021
  Tiles are certified in two units by water absorption: at most 5 % (low absorption) and above 5 % up to 10 %
  (medium absorption). Unit comprehensive energy consumption is judged in each unit; its green limit is not known, so the
  criterion stays undetermined until a certification body supplies it by overlay. The HJ 297-2021 numbers belong to
  the China environmental label, a different scheme, and are not applied. GB/T 35610-2024 replaced the 2017
  edition on 2025-05-01 with no transition period.

  Background:
    Given the category is ceramic_tiles
    And the product model is "PT-600 瓷质抛光砖 600×600"

  Scenario Outline: Complete evidence waits for the energy limit of the unit the water absorption decides
    Given the evaluation date is <date>
    And the product parameter water_absorption is <absorption>
    And a test report "CMA-TILE-<issued>" issued on <issued> by "National Building Ceramics Test Centre" with:
      | indicator | value | unit      |
      | 综合能耗  | 3.9   | kgce/m^2  |
    And the laboratory holds CMA, CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | <valid>     |
      | GB/T 24001-2016 | <valid>     |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on <inspected>
    When the application is evaluated
    Then the decision applies <edition>
    And the certification unit is <unit>
    And the verdicts are:
      | criterion                | verdict        | reason            |
      | energy_<unit>            | undetermined   | limit_unconfirmed |
      | energy_<other>           | not applicable |                   |
      | quality_management       | pass           |                   |
      | environmental_management | pass           |                   |
      | no_major_accident        | pass           |                   |
      | pollutant_discharge      | pass           |                   |
      | product_standard         | pass           |                   |
      | factory inspection       | pass           |                   |
    And the missing evidence includes a limit value for energy_<unit>
    And the eligible labels are none
    And the label energy is undetermined
    And the outcome is incomplete

    Examples: GB/T 35610-2017
      | date       | issued     | inspected  | valid      | edition         | absorption | unit              | other             |
      | 2024-06-01 | 2024-03-01 | 2024-04-10 | 2027-01-01 | GB/T 35610-2017 | 0.5        | low_absorption    | medium_absorption |
      | 2024-06-01 | 2024-03-01 | 2024-04-10 | 2027-01-01 | GB/T 35610-2017 | 8          | medium_absorption | low_absorption    |

    Examples: GB/T 35610-2024
      | date       | issued     | inspected  | valid      | edition         | absorption | unit              | other             |
      | 2026-11-01 | 2026-08-01 | 2026-09-10 | 2028-03-01 | GB/T 35610-2024 | 3          | low_absorption    | medium_absorption |
      | 2026-11-01 | 2026-08-01 | 2026-09-10 | 2028-03-01 | GB/T 35610-2024 | 10         | medium_absorption | low_absorption    |

  Scenario Outline: The edition in force on the evaluation date is applied
    Given an application that meets every requirement
    And the product parameter water_absorption is 3
    When the application is evaluated on <date>
    Then the decision applies <edition>

    Examples:
      | date       | edition         |
      | 2025-04-30 | GB/T 35610-2017 |
      | 2025-05-01 | GB/T 35610-2024 |

  Scenario: At exactly 5 % water absorption the tile is in the low-absorption unit
    Given an application that meets every requirement
    And the evaluation date is 2026-11-01
    And the product parameter water_absorption is 5
    When the application is evaluated
    Then the certification unit is low_absorption
    And the criterion energy_low_absorption is undetermined
    And the criterion energy_medium_absorption is not applicable

  Scenario: Just above 5 % water absorption the tile is in the medium-absorption unit
    Given an application that meets every requirement
    And the evaluation date is 2026-11-01
    And the product parameter water_absorption is 5.1
    When the application is evaluated
    Then the certification unit is medium_absorption
    And the criterion energy_medium_absorption is undetermined
    And the criterion energy_low_absorption is not applicable

  Scenario: Naming a unit the parameters contradict is refused at intake
    Given an application that meets every requirement
    And the evaluation date is 2026-11-01
    And the product parameter water_absorption is 5
    And the certification unit is medium_absorption
    When the application is evaluated
    Then the application is rejected with application_unit_mismatch

  Scenario: A water absorption above 10 % fits no certification unit
    Given an application that meets every requirement
    And the evaluation date is 2026-11-01
    And the product parameter water_absorption is 12
    When the application is evaluated
    Then the application is rejected with application_reference_error

  Scenario Outline: With the certification body's limits for GB/T 35610-2024, the energy consumption decides
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/ceramic_tiles
    And an application that meets every requirement
    And the product parameter water_absorption is <absorption>
    And a test report issued on 2026-08-01 with:
      | indicator                 | value   | unit     |
      | unit_comprehensive_energy | <value> | kgce/m^2 |
    When the application is evaluated
    Then the criterion energy_<unit> <verdict>
    And the outcome is <outcome>

    Examples:
      | absorption | value | unit              | verdict | outcome |
      | 0.5        | 3.9   | low_absorption    | passes  | granted |
      | 0.5        | 6.0   | low_absorption    | fails   | refused |
      | 8          | 3.9   | medium_absorption | passes  | granted |
      | 8          | 4.5   | medium_absorption | fails   | refused |

  Scenario Outline: Each basic requirement must be proved
    Given the evaluation date is <date>
    And the product parameter water_absorption is 0.5
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
    And the product parameter water_absorption is 0.5
    And an application that meets every requirement except the factory inspection
    And the factory inspection <inspection>
    When the application is evaluated
    Then the factory inspection <verdict>
    And the label green_product is <label>
    And the label energy is <label>
    And the outcome is <outcome>

    Examples:
      | date       | inspection                                   | verdict    | label        | outcome    |
      | 2024-06-01 | failed on 2024-04-10                         | fails      | not eligible | refused    |
      | 2026-11-01 | required corrective action due by 2026-10-01 | fails      | not eligible | refused    |
      | 2026-11-01 | required corrective action due by 2026-12-01 | is pending | undetermined | incomplete |
