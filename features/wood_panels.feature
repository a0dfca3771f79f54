@wood_panels
Feature: Wood-based panels and wooden flooring (人造板和木质地板) — GB/T 35601-2017 until 2025-05-31, GB/T 35601-2024 from 2025-06-01
  Formaldehyde emission (1 m³ climate chamber) is shipped for both editions without a green limit, so it stays
  undetermined until a certification body supplies the limit by overlay; GB/T 35601-2024, in force from 2025-06-01
  with no transition period, also has one placeholder per attribute group. Under the 2017 edition the emission
  earns a grade under GB/T 39600-2021 (ENF ≤ 0.025, E0 ≤ 0.050, E1 ≤ 0.124 mg/m³, secondary source), reported on the
  decision without deciding the outcome; the 2024 rule set does not carry that separate grading standard — a
  certification body adds it by overlay.

  Background:
    Given the category is wood_panels
    And the product model is "SF-1218 强化复合木地板"

  Scenario: Under GB/T 35601-2017, laminate flooring with complete evidence is graded but waits for the green limit
    Given the evaluation date is 2025-03-01
    And a test report "CMA-2025-0112" issued on 2025-01-12 by "Zhejiang Wood Products Test Centre" with:
      | indicator | value | unit    |
      | 甲醛释放量 | 0.018 | mg/m^3  |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2025-02-10
    When the application is evaluated
    Then the decision applies GB/T 35601-2017
    And the verdicts are:
      | criterion                | verdict      | reason            |
      | formaldehyde_emission    | undetermined | limit_unconfirmed |
      | quality_management       | pass         |                   |
      | environmental_management | pass         |                   |
      | no_major_accident        | pass         |                   |
      | pollutant_discharge      | pass         |                   |
      | product_standard         | pass         |                   |
      | factory inspection       | pass         |                   |
    And the grade is ENF
    And the missing evidence includes a limit value for formaldehyde_emission
    And the label green_product is undetermined
    And the label environment is undetermined
    And the outcome is incomplete

  Scenario Outline: Under GB/T 35601-2017, the measured emission earns the best grade it meets
    Given the evaluation date is 2025-03-01
    And an application that meets every requirement
    And a test report issued on 2025-02-01 with:
      | indicator             | value   | unit   |
      | formaldehyde_emission | <value> | <unit> |
    When the application is evaluated
    Then the grade for formaldehyde_grade is <grade>
    And the label formaldehyde_grade is eligible
    And the criterion formaldehyde_emission is undetermined

    Examples:
      | value | unit    | grade |
      | 0.025 | mg/m^3  | ENF   |
      | 0.026 | mg/m^3  | E0    |
      | 50    | ug/m^3  | E0    |
      | 0.124 | mg/m^3  | E1    |

  Scenario: An emission above every band earns no grade
    Given the evaluation date is 2025-03-01
    And an application that meets every requirement
    And a test report issued on 2025-02-01 with:
      | indicator             | value | unit   |
      | formaldehyde_emission | 0.2   | mg/m^3 |
    When the application is evaluated
    Then no grade is awarded
    And the label formaldehyde_grade is not eligible

  Scenario: Without an admissible emission result there is no grade to report
    Given the evaluation date is 2025-03-01
    And an application that meets every requirement
    And a test report issued on 2025-02-01 with:
      | indicator             | value | unit   |
      | formaldehyde_emission | 0.02  | mg/m^3 |
    And the laboratory holds no qualification
    When the application is evaluated
    Then the criterion formaldehyde_emission is undetermined
    And no grade is awarded
    And the label formaldehyde_grade is undetermined

  Scenario Outline: With the certification body's limit, the emission decides the outcome under either edition
    Given the evaluation date is <date>
    And the overlay examples/overlays/wood_panels
    And an application that meets every requirement
    And a test report issued on <issued> with:
      | indicator             | value   | unit   |
      | formaldehyde_emission | <value> | mg/m^3 |
    When the application is evaluated
    Then the decision applies <edition>
    And the criterion formaldehyde_emission <verdict>
    And the grade for formaldehyde_grade is <grade>
    And the outcome is <outcome>

    Examples:
      | date       | issued     | edition         | value | verdict | grade | outcome |
      | 2025-03-01 | 2025-02-01 | GB/T 35601-2017 | 0.018 | passes  | ENF   | granted |
      | 2025-03-01 | 2025-02-01 | GB/T 35601-2017 | 0.060 | fails   | E1    | refused |
      | 2026-11-01 | 2026-09-01 | GB/T 35601-2024 | 0.018 | passes  | ENF   | granted |
      | 2026-11-01 | 2026-09-01 | GB/T 35601-2024 | 0.060 | fails   | E1    | refused |

  Scenario: Under GB/T 35601-2024, complete evidence waits for the certification body's requirements
    Given the evaluation date is 2026-11-01
    And a test report "CMA-2026-0512" issued on 2026-05-12 by "Zhejiang Wood Products Test Centre" with:
      | indicator              | value    | unit   |
      | 甲醛释放量              | 0.018    | mg/m^3 |
      | resource_indicators    | conforms |        |
      | energy_indicators      | conforms |        |
      | environment_indicators | conforms |        |
      | quality_indicators     | conforms |        |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-06-10
    When the application is evaluated
    Then the decision applies GB/T 35601-2024
    And the verdicts are:
      | criterion                | verdict      | reason            |
      | formaldehyde_emission    | undetermined | limit_unconfirmed |
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
    And the eligible labels are none
    And the outcome is incomplete

  Scenario Outline: The edition in force on the evaluation date is applied
    Given an application that meets every requirement
    When the application is evaluated on <date>
    Then the decision applies <edition>

    Examples:
      | date       | edition         |
      | 2025-05-31 | GB/T 35601-2017 |
      | 2025-06-01 | GB/T 35601-2024 |

  Scenario Outline: Each basic requirement must be proved
    Given the evaluation date is <date>
    And an application that meets every requirement except <requirement>
    When the application is evaluated
    Then the basic requirement <requirement> is missing
    And the missing evidence includes a <kind> for <requirement>
    And the eligible labels are none
    And the outcome is incomplete

    Examples:
      | date       | requirement              | kind        |
      | 2025-03-01 | quality_management       | certificate |
      | 2025-03-01 | environmental_management | certificate |
      | 2025-03-01 | no_major_accident        | declaration |
      | 2025-03-01 | pollutant_discharge      | declaration |
      | 2025-03-01 | product_standard         | declaration |
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
    Then the factory inspection fails
    And the label green_product is not eligible
    And the label environment is not eligible
    And the outcome is refused

    Examples:
      | date       | inspected  |
      | 2025-03-01 | 2025-02-10 |
      | 2026-11-01 | 2026-06-10 |
