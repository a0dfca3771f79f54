@furniture
Feature: Furniture (家具) — GB/T 35607-2017 until 2024-12-31, GB/T 35607-2024 from 2025-01-01
  Furniture is certified per type (twelve units: three kinds of wood furniture, metal, bamboo-rattan, plastic,
  glass-stone, four kinds of upholstered furniture, other). GB/T 35607-2017 has three attribute groups — resource,
  environment, quality — and no energy group; GB/T 35607-2024, in force from 2025-01-01 with no transition period,
  adds energy and low-carbon and grades products in two tiers, 绿色产品 and the stricter 绿色标杆产品. No source names
  the items of any group, so each group is a placeholder without a requirement (for 2024: one for each tier); until a
  certification body supplies the requirements by overlay, an application is incomplete, or refused when the factory
  inspection fails.

  Background:
    Given the category is furniture
    And the product model is "WF-330 实木餐桌"
    And the product parameter furniture_type is solid_wood_furniture

  Scenario: Under GB/T 35607-2017, complete evidence waits for the certification body's requirements
    Given the evaluation date is 2024-06-01
    And a test report "CMA-2024-03-01" issued on 2024-03-01 by "Guangdong Furniture Quality Inspection Centre" with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2027-03-01  |
      | GB/T 24001-2016 | 2027-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2024-04-10
    When the application is evaluated
    Then the decision applies GB/T 35607-2017
    And the verdicts are:
      | criterion                | verdict      | reason            |
      | resource_indicators      | undetermined | limit_unconfirmed |
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

  Scenario: Under GB/T 35607-2024, complete evidence waits for the requirements of both tiers
    Given the evaluation date is 2026-11-01
    And a test report "CMA-2026-08-01" issued on 2026-08-01 by "Guangdong Furniture Quality Inspection Centre" with:
      | indicator         | value         |
      | resource_level    | green_product |
      | energy_level      | green_product |
      | environment_level | green_product |
      | quality_level     | green_product |
      | low_carbon_level  | green_product |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-09-10
    When the application is evaluated
    Then the decision applies GB/T 35607-2024
    And the verdicts are:
      | criterion                | verdict      | reason            |
      | resource_green_product   | undetermined | limit_unconfirmed |
      | energy_green_product     | undetermined | limit_unconfirmed |
      | environment_green_product| undetermined | limit_unconfirmed |
      | quality_green_product    | undetermined | limit_unconfirmed |
      | low_carbon_green_product | undetermined | limit_unconfirmed |
      | resource_benchmark       | undetermined | limit_unconfirmed |
      | energy_benchmark         | undetermined | limit_unconfirmed |
      | environment_benchmark    | undetermined | limit_unconfirmed |
      | quality_benchmark        | undetermined | limit_unconfirmed |
      | low_carbon_benchmark     | undetermined | limit_unconfirmed |
      | quality_management       | pass         |                   |
      | environmental_management | pass         |                   |
      | no_major_accident        | pass         |                   |
      | pollutant_discharge      | pass         |                   |
      | product_standard         | pass         |                   |
      | factory inspection       | pass         |                   |
    And the eligible labels are none
    And the label green_benchmark_product is undetermined
    And the outcome is incomplete

  Scenario Outline: The edition in force on the evaluation date is applied
    Given an application that meets every requirement
    When the application is evaluated on <date>
    Then the decision applies <edition>

    Examples:
      | date       | edition         |
      | 2024-12-31 | GB/T 35607-2017 |
      | 2025-01-01 | GB/T 35607-2024 |

  Scenario Outline: The furniture type decides the certification unit
    Given the evaluation date is 2026-11-01
    And the product parameter furniture_type is <type>
    And an application that meets every requirement
    When the application is evaluated
    Then the certification unit is <type>
    And the criterion quality_green_product is undetermined
    And the outcome is incomplete

    Examples:
      | type                           |
      | wood_panel_furniture           |
      | solid_wood_furniture           |
      | panel_and_solid_wood_furniture |
      | metal_furniture                |
      | bamboo_rattan_furniture        |
      | plastic_furniture              |
      | glass_stone_furniture          |
      | sofa                           |
      | mattress                       |
      | upholstered_bed                |
      | upholstered_chair              |
      | other_furniture                |

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

  Scenario: With the certification body's requirements for GB/T 35607-2017, a conforming product is granted
    Given the evaluation date is 2024-06-01
    And the overlay examples/overlays/furniture
    And an application that meets every requirement
    And a test report issued on 2024-03-01 with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    When the application is evaluated
    Then the decision applies GB/T 35607-2017
    And the verdicts are:
      | criterion              | verdict |
      | resource_indicators    | pass    |
      | environment_indicators | pass    |
      | quality_indicators     | pass    |
    And a caveat mentions unconfirmed limit
    And the eligible labels are green_product, resource, environment, quality
    And the outcome is granted

  Scenario: With the certification body's requirements for GB/T 35607-2017, a group that does not conform refuses the product
    Given the evaluation date is 2024-06-01
    And the overlay examples/overlays/furniture
    And an application that meets every requirement
    And a test report issued on 2024-03-01 with:
      | indicator              | value            |
      | resource_indicators    | conforms         |
      | environment_indicators | does_not_conform |
      | quality_indicators     | conforms         |
    When the application is evaluated
    Then the criterion environment_indicators fails because requirement_not_met
    And the eligible labels are resource, quality
    And the label green_product is not eligible
    And the outcome is refused

  Scenario Outline: With the certification body's requirements for GB/T 35607-2024, the level met decides full label, tier and partial labels
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/furniture
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator         | value         |
      | resource_level    | <level>       |
      | energy_level      | <energy>      |
      | environment_level | <level>       |
      | quality_level     | <level>       |
      | low_carbon_level  | <level>       |
    When the application is evaluated
    Then the label green_benchmark_product is <tier>
    And the eligible labels are <labels>
    And the outcome is <outcome>

    Examples:
      | level                   | energy                  | tier         | labels                                                                               | outcome |
      | green_benchmark_product | green_benchmark_product | eligible     | green_product, green_benchmark_product, resource, energy, environment, quality, low_carbon | granted |
      | green_product           | green_benchmark_product | not eligible | green_product, resource, energy, environment, quality, low_carbon                    | granted |
      | green_product           | not_met                 | not eligible | resource, environment, quality, low_carbon                                           | refused |
