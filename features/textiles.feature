@textiles
Feature: Textiles (纺织产品) — GB/T 35611-2017 until 2026-09-30, GB/T 35611-2024 from 2026-10-01 (date unconfirmed)
  Textiles are certified in three units by skin contact: infant products, products in direct contact with the skin
  and products not in direct contact with the skin. Under GB/T 35611-2017 formaldehyde content is judged twice in
  each unit: against the mandatory baseline of GB 18401 (infant ≤ 20, direct skin contact ≤ 75, no direct skin
  contact ≤ 300 mg/kg, from secondary summaries), which is shipped, and against a formaldehyde requirement of GB/T
  35611-2017 that no source gives, which the certification body supplies by overlay. GB/T 35611-2024 takes effect on
  2026-10-01 as far as its one weak source tells: the date is unconfirmed, and decisions near it say so. No indicator
  of the 2024 edition is known: each attribute group is a placeholder without a requirement.

  Background:
    Given the category is textiles
    And the product model is "BB-220 婴儿连体衣"
    And the evaluation date is 2026-09-15

  Scenario: Under GB/T 35611-2017, an infant bodysuit with complete evidence waits for the formaldehyde limit
    Given the product parameter skin_contact_class is infant
    And a test report "CMA-TX-2026-0612" issued on 2026-06-12 by "Jiangsu Textile Testing Institute" with:
      | indicator | value | unit  |
      | 甲醛      | 8     | mg/kg |
    And the laboratory holds CMA, CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-07-02
    When the application is evaluated
    Then the decision applies GB/T 35611-2017
    And the certification unit is infant
    And a caveat mentions 2026-10-01
    And the verdicts are:
      | criterion                                              | verdict        | reason            |
      | formaldehyde_mandatory_baseline_infant                 | pass           |                   |
      | formaldehyde_infant                                    | undetermined   | limit_unconfirmed |
      | formaldehyde_mandatory_baseline_direct_skin_contact    | not applicable |                   |
      | formaldehyde_mandatory_baseline_no_direct_skin_contact | not applicable |                   |
      | formaldehyde_direct_skin_contact                       | not applicable |                   |
      | formaldehyde_no_direct_skin_contact                    | not applicable |                   |
      | quality_management                                     | pass           |                   |
      | environmental_management                               | pass           |                   |
      | no_major_accident                                      | pass           |                   |
      | pollutant_discharge                                    | pass           |                   |
      | product_standard                                       | pass           |                   |
      | factory inspection                                     | pass           |                   |
    And the margin for formaldehyde_mandatory_baseline_infant is 12 mg/kg
    And the missing evidence includes a limit value for formaldehyde_infant
    And the eligible labels are none
    And the label green_product is undetermined
    And the outcome is incomplete

  Scenario Outline: The GB 18401 baseline of each unit is checked, and the green limit stays open
    Given an application that meets every requirement
    And the product parameter skin_contact_class is <unit>
    And a test report issued on 2026-09-01 with:
      | indicator    | value   | unit  |
      | formaldehyde | <value> | mg/kg |
    When the application is evaluated
    Then the criterion formaldehyde_mandatory_baseline_<unit> <verdict>
    And the criterion formaldehyde_<unit> is undetermined
    And the margin for formaldehyde_mandatory_baseline_<unit> is <margin> mg/kg
    And the label green_product is <label>
    And the outcome is <outcome>

    Examples: at the baseline the result passes, but the green limit is still missing
      | unit                   | value | verdict | margin | label        | outcome    |
      | infant                 | 20    | passes  | 0      | undetermined | incomplete |
      | direct_skin_contact    | 75    | passes  | 0      | undetermined | incomplete |
      | no_direct_skin_contact | 300   | passes  | 0      | undetermined | incomplete |

    Examples: above the baseline the product is refused whatever the green limit
      | unit                   | value | verdict | margin | label        | outcome |
      | infant                 | 21    | fails   | -1     | not eligible | refused |
      | direct_skin_contact    | 80    | fails   | -5     | not eligible | refused |
      | no_direct_skin_contact | 350   | fails   | -50    | not eligible | refused |

  Scenario Outline: Without a formaldehyde result the baseline cannot be judged
    Given an application that meets every requirement except formaldehyde
    And the product parameter skin_contact_class is <unit>
    When the application is evaluated
    Then the criterion formaldehyde_mandatory_baseline_<unit> is missing
    And the missing evidence includes a test result for formaldehyde_mandatory_baseline_<unit>
    And the outcome is incomplete

    Examples:
      | unit                   |
      | infant                 |
      | direct_skin_contact    |
      | no_direct_skin_contact |

  Scenario: With the certification body's limits for GB/T 35611-2017, a conforming infant product is granted
    Given the overlay examples/overlays/textiles
    And an application that meets every requirement
    And the product parameter skin_contact_class is infant
    And a test report issued on 2026-09-01 with:
      | indicator    | value | unit  |
      | formaldehyde | 8     | mg/kg |
    When the application is evaluated
    Then the criterion formaldehyde_infant passes
    And the criterion formaldehyde_mandatory_baseline_infant passes
    And a caveat mentions unconfirmed limit
    And the eligible labels are green_product, environment
    And the outcome is granted

  Scenario: With the certification body's limits for GB/T 35611-2017, a product between its limit and the baseline is refused
    Given the overlay examples/overlays/textiles
    And an application that meets every requirement
    And the product parameter skin_contact_class is infant
    And a test report issued on 2026-09-01 with:
      | indicator    | value | unit  |
      | formaldehyde | 18    | mg/kg |
    When the application is evaluated
    Then the criterion formaldehyde_infant fails because limit_exceeded
    And the criterion formaldehyde_mandatory_baseline_infant passes
    And the outcome is refused

  Scenario Outline: Each basic requirement must be proved
    Given the evaluation date is <date>
    And an application that meets every requirement except <requirement>
    And the product parameter skin_contact_class is direct_skin_contact
    When the application is evaluated
    Then the basic requirement <requirement> is missing
    And the missing evidence includes a <kind> for <requirement>
    And the outcome is incomplete

    Examples:
      | date       | requirement              | kind        |
      | 2026-09-15 | quality_management       | certificate |
      | 2026-09-15 | environmental_management | certificate |
      | 2026-09-15 | no_major_accident        | declaration |
      | 2026-09-15 | pollutant_discharge      | declaration |
      | 2026-09-15 | product_standard         | declaration |
      | 2026-11-01 | quality_management       | certificate |
      | 2026-11-01 | environmental_management | certificate |
      | 2026-11-01 | no_major_accident        | declaration |
      | 2026-11-01 | pollutant_discharge      | declaration |
      | 2026-11-01 | product_standard         | declaration |

  Scenario Outline: A failed factory inspection refuses the application
    Given the evaluation date is <date>
    And an application that meets every requirement except the factory inspection
    And the product parameter skin_contact_class is infant
    And the factory inspection failed on 2026-07-02
    When the application is evaluated
    Then the factory inspection fails
    And the label green_product is not eligible
    And the outcome is refused

    Examples:
      | date       |
      | 2026-09-15 |
      | 2026-11-01 |

  Scenario Outline: The edition in force on the evaluation date is applied, and its unconfirmed boundary is said
    Given the product parameter skin_contact_class is infant
    And an application that meets every requirement
    When the application is evaluated on <date>
    Then the decision applies <edition>
    And a caveat mentions not confirmed

    Examples:
      | date       | edition         |
      | 2026-09-30 | GB/T 35611-2017 |
      | 2026-10-01 | GB/T 35611-2024 |

  Scenario: Under GB/T 35611-2024, complete evidence waits for the certification body's requirements
    Given the evaluation date is 2026-11-01
    And the product parameter skin_contact_class is infant
    And a test report "CMA-TX-2026-1012" issued on 2026-10-12 by "Jiangsu Textile Testing Institute" with:
      | indicator              | value    |
      | resource_indicators    | conforms |
      | energy_indicators      | conforms |
      | environment_indicators | conforms |
      | quality_indicators     | conforms |
    And the laboratory holds CMA, CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-10-20
    When the application is evaluated
    Then the decision applies GB/T 35611-2024
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
    And a caveat mentions not confirmed by its source
    And the eligible labels are none
    And the outcome is incomplete

  Scenario: With the certification body's requirements for GB/T 35611-2024, a conforming product is granted
    Given the evaluation date is 2026-11-01
    And the overlay examples/overlays/textiles
    And the product parameter skin_contact_class is direct_skin_contact
    And an application that meets every requirement
    When the application is evaluated
    Then the decision applies GB/T 35611-2024
    And the criterion quality_indicators passes
    And the eligible labels are green_product, resource, energy, environment, quality
    And the outcome is granted

  Scenario: Without a skin-contact class the certification unit cannot be told
    Given an application that meets every requirement
    When the application is evaluated
    Then the application is rejected with application_reference_error
