@thermal_insulation
Feature: Thermal insulation materials (绝热材料) — GB/T 35608-2017 until 2024-12-31, GB/T 35608-2024 from 2025-01-01
  No source read names an indicator of GB/T 35608, so each attribute group (resource, energy, environment,
  quality) is one criterion without a shipped requirement: the laboratory's conformity conclusion for the group.
  No source gives the 2024 edition a low-carbon group. The certification units are the five product types of
  CNCA-CGP-07:2021. GB/T 35608-2024 replaced the 2017 edition on 2025-01-01 with no transition period.
  Until a certification body supplies the requirements by overlay, an application is incomplete, or refused
  when the factory inspection fails.

  Background:
    Given the category is thermal_insulation
    And the product model is "RW-100 岩棉板"
    And the product parameter material is rock_wool

  Scenario: Under GB/T 35608-2017, complete evidence waits for the certification body's requirements
    Given the evaluation date is 2024-06-01
    And a test report "CMA-2024-03-01" issued on 2024-03-01 by "National Insulation Materials Test Centre" with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | energy_indicators      | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2027-01-01  |
      | GB/T 24001-2016 | 2027-01-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2024-04-10
    When the application is evaluated
    Then the decision applies GB/T 35608-2017
    And the verdicts are:
      | criterion                | verdict      | reason            |
      | resource_indicators      | undetermined | limit_unconfirmed |
      | energy_indicators        | undetermined | limit_unconfirmed |
      | environment_indicators   | undetermined | limit_unconfirmed |
      | quality_indicators       | undetermined | limit_unconfirmed |
      | quality_management       | pass         |                   |
      | environmental_management | pass         |                   |
      | no_major_accident        | pass         |                   |
      | pollutant_discharge      | pass         |                   |
      | product_standard         | pass         |                   |
      | factory inspection       | pass         |                   |
    And the missing evidence includes a limit value for resource_indicators
    And the eligible labels are none
    And the label green_product is undetermined
    And the outcome is incomplete

  Scenario: Under GB/T 35608-2024, complete evidence waits for the certification body's requirements
    Given the evaluation date is 2026-11-01
    And a test report "CMA-2026-08-01" issued on 2026-08-01 by "National Insulation Materials Test Centre" with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | energy_indicators      | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-09-10
    When the application is evaluated
    Then the decision applies GB/T 35608-2024
    And the verdicts are:
      | criterion                | verdict      | reason            |
      | resource_indicators      | undetermined | limit_unconfirmed |
      | energy_indicators        | undetermined | limit_unconfirmed |
      | environment_indicators   | undetermined | limit_unconfirmed |
      | quality_indicators       | undetermined | limit_unconfirmed |
      | quality_management       | pass         |                   |
      | environmental_management | pass         |                   |
      | no_major_accident        | pass         |                   |
      | pollutant_discharge      | pass         |                   |
      | product_standard         | pass         |                   |
      | factory inspection       | pass         |                   |
    And the missing evidence includes a limit value for resource_indicators
    And the eligible labels are none
    And the label green_product is undetermined
    And the outcome is incomplete

  Scenario Outline: The edition in force on the evaluation date is applied
    Given an application that meets every requirement
    When the application is evaluated on <date>
    Then the decision applies <edition>

    Examples:
      | date       | edition         |
      | 2024-12-31 | GB/T 35608-2017 |
      | 2025-01-01 | GB/T 35608-2024 |

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

  Scenario Outline: A failed factory inspection refuses the application
    Given the evaluation date is <date>
    And an application that meets every requirement except the factory inspection
    And the factory inspection failed on <inspected>
    When the application is evaluated
    Then the factory inspection fails because inspection_failed
    And the eligible labels are none
    And the label green_product is not eligible
    And the outcome is refused

    Examples:
      | date       | inspected  |
      | 2024-06-01 | 2024-04-10 |
      | 2026-11-01 | 2026-09-10 |

  Scenario: A corrective action not yet verified keeps the application open
    Given the evaluation date is 2026-11-01
    And an application that meets every requirement except the factory inspection
    And the factory inspection required corrective action due by 2026-12-15
    When the application is evaluated
    Then the factory inspection is pending
    And the missing evidence includes a corrective action for the factory inspection
    And the outcome is incomplete

  Scenario: With the certification body's requirements for GB/T 35608-2017, a conforming product is granted
    Given the evaluation date is 2024-06-01
    And the overlay examples/overlays/thermal_insulation
    And an application that meets every requirement
    And a test report issued on 2024-03-01 with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | energy_indicators      | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    When the application is evaluated
    Then the decision applies GB/T 35608-2017
    And the verdicts are:
      | criterion              | verdict |
      | resource_indicators    | pass    |
      | energy_indicators      | pass    |
      | environment_indicators | pass    |
      | quality_indicators     | pass    |
    And a caveat mentions unconfirmed limit
    And the eligible labels are green_product, resource, energy, environment, quality
    And the outcome is granted

  Scenario: With the certification body's requirements for GB/T 35608-2017, a group that does not conform refuses the product
    Given the evaluation date is 2024-06-01
    And the overlay examples/overlays/thermal_insulation
    And an application that meets every requirement
    And a test report issued on 2024-03-01 with:
      | indicator              | value            |
      | resource_indicators    | conforms         |
      | energy_indicators      | conforms         |
      | environment_indicators | does_not_conform |
      | quality_indicators     | conforms         |
    When the application is evaluated
    Then the criterion environment_indicators fails because requirement_not_met
    And the eligible labels are resource, energy, quality
    And the label green_product is not eligible
    And the outcome is refused

  Scenario: With the certification body's requirements for GB/T 35608-2024, a conforming product is granted
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/thermal_insulation
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | energy_indicators      | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    When the application is evaluated
    Then the decision applies GB/T 35608-2024
    And the verdicts are:
      | criterion              | verdict |
      | resource_indicators    | pass    |
      | energy_indicators      | pass    |
      | environment_indicators | pass    |
      | quality_indicators     | pass    |
    And a caveat mentions unconfirmed limit
    And the eligible labels are green_product, resource, energy, environment, quality
    And the outcome is granted

  Scenario: With the certification body's requirements for GB/T 35608-2024, a group that does not conform refuses the product
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/thermal_insulation
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator              | value            |
      | resource_indicators    | conforms         |
      | energy_indicators      | conforms         |
      | environment_indicators | does_not_conform |
      | quality_indicators     | conforms         |
    When the application is evaluated
    Then the criterion environment_indicators fails because requirement_not_met
    And the eligible labels are resource, energy, quality
    And the label green_product is not eligible
    And the outcome is refused
