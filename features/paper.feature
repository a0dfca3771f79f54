@paper
Feature: Paper and paper products (纸和纸制品) — GB/T 35613-2017 until 2025-03-31, GB/T 35613-2024 from 2025-04-01
  No source read names an indicator of GB/T 35613-2017: each attribute group is one criterion without a shipped
  requirement. GB/T 35613-2024 (from 2025-04-01, no transition period) adds the low-carbon group, new product
  classes, and names five indicators in its foreword — unit water intake and unit waste water of tissue paper,
  packaging material, the effective recycled component of packaging cartons, chemicals — shipped without a
  requirement too.
  Until a certification body supplies the requirements by overlay, an application is incomplete, or refused
  when the factory inspection fails.

  Background:
    Given the category is paper
    And the product model is "FT-180 抽取式面巾纸"
    And the product parameter product_class is tissue_paper

  Scenario: Under GB/T 35613-2017, complete evidence waits for the certification body's requirements
    Given the evaluation date is 2024-06-01
    And a test report "CMA-2024-03-01" issued on 2024-03-01 by "National Paper Products Quality Inspection Centre" with:
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
    Then the decision applies GB/T 35613-2017
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

  Scenario: Under GB/T 35613-2024, complete evidence waits for the certification body's requirements
    Given the evaluation date is 2026-11-01
    And a test report "CMA-2026-08-01" issued on 2026-08-01 by "National Paper Products Quality Inspection Centre" with:
      | indicator                 | value    | unit  |
      | resource_indicators       | conforms |       |
      | energy_indicators         | conforms |       |
      | environment_indicators    | conforms |       |
      | quality_indicators        | conforms |       |
      | low_carbon_indicators     | conforms |       |
      | tissue_water_intake       | 11.5     | m^3/t |
      | tissue_waste_water        | 9.2      | m^3/t |
      | packaging_material        | conforms |       |
      | carton_recycled_component | conforms |       |
      | chemicals                 | conforms |       |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-09-10
    When the application is evaluated
    Then the decision applies GB/T 35613-2024
    And the verdicts are:
      | criterion                 | verdict      | reason            |
      | resource_indicators       | undetermined | limit_unconfirmed |
      | energy_indicators         | undetermined | limit_unconfirmed |
      | environment_indicators    | undetermined | limit_unconfirmed |
      | quality_indicators        | undetermined | limit_unconfirmed |
      | low_carbon_indicators     | undetermined | limit_unconfirmed |
      | tissue_water_intake       | undetermined | limit_unconfirmed |
      | tissue_waste_water        | undetermined | limit_unconfirmed |
      | packaging_material        | undetermined | limit_unconfirmed |
      | carton_recycled_component | undetermined | limit_unconfirmed |
      | chemicals                 | undetermined | limit_unconfirmed |
      | quality_management        | pass         |                   |
      | environmental_management  | pass         |                   |
      | no_major_accident         | pass         |                   |
      | pollutant_discharge       | pass         |                   |
      | product_standard          | pass         |                   |
      | factory inspection        | pass         |                   |
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
      | 2025-03-31 | GB/T 35613-2017 |
      | 2025-04-01 | GB/T 35613-2024 |

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

  Scenario: With the certification body's requirements for GB/T 35613-2017, a conforming product is granted
    Given the evaluation date is 2024-06-01
    And the overlay examples/overlays/paper
    And an application that meets every requirement
    And a test report issued on 2024-03-01 with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | energy_indicators      | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    When the application is evaluated
    Then the decision applies GB/T 35613-2017
    And the verdicts are:
      | criterion              | verdict |
      | resource_indicators    | pass    |
      | energy_indicators      | pass    |
      | environment_indicators | pass    |
      | quality_indicators     | pass    |
    And a caveat mentions unconfirmed limit
    And the eligible labels are green_product, resource, energy, environment, quality
    And the outcome is granted

  Scenario: With the certification body's requirements for GB/T 35613-2017, a group that does not conform refuses the product
    Given the evaluation date is 2024-06-01
    And the overlay examples/overlays/paper
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

  Scenario: With the certification body's requirements for GB/T 35613-2024, a conforming product is granted
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/paper
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator                 | value    | unit  |
      | resource_indicators       | conforms |       |
      | energy_indicators         | conforms |       |
      | environment_indicators    | conforms |       |
      | quality_indicators        | conforms |       |
      | low_carbon_indicators     | conforms |       |
      | tissue_water_intake       | 11.5     | m^3/t |
      | tissue_waste_water        | 9.2      | m^3/t |
      | packaging_material        | conforms |       |
      | carton_recycled_component | conforms |       |
      | chemicals                 | conforms |       |
    When the application is evaluated
    Then the decision applies GB/T 35613-2024
    And the verdicts are:
      | criterion                 | verdict |
      | resource_indicators       | pass    |
      | energy_indicators         | pass    |
      | environment_indicators    | pass    |
      | quality_indicators        | pass    |
      | low_carbon_indicators     | pass    |
      | tissue_water_intake       | pass    |
      | tissue_waste_water        | pass    |
      | packaging_material        | pass    |
      | carton_recycled_component | pass    |
      | chemicals                 | pass    |
    And a caveat mentions unconfirmed limit
    And the eligible labels are green_product, resource, energy, environment, quality, low_carbon
    And the outcome is granted

  Scenario: With the certification body's requirements for GB/T 35613-2024, a group that does not conform refuses the product
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/paper
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator                 | value            | unit  |
      | resource_indicators       | conforms         |       |
      | energy_indicators         | conforms         |       |
      | environment_indicators    | does_not_conform |       |
      | quality_indicators        | conforms         |       |
      | low_carbon_indicators     | conforms         |       |
      | tissue_water_intake       | 11.5             | m^3/t |
      | tissue_waste_water        | 9.2              | m^3/t |
      | packaging_material        | conforms         |       |
      | carton_recycled_component | conforms         |       |
      | chemicals                 | conforms         |       |
    When the application is evaluated
    Then the criterion environment_indicators fails because requirement_not_met
    And the eligible labels are resource, energy, quality, low_carbon
    And the label green_product is not eligible
    And the outcome is refused
