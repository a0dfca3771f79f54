@wood_panels
Feature: Wood-based panels and wooden flooring (人造板和木质地板) — GB/T 35601-2017, CNCA-CGP-01 (code inferred)
  Formaldehyde emission (1 m³ climate chamber) is the only indicator shipped. Its green limit under GB/T 35601-2017
  is not known, so the criterion stays undetermined until a certification body supplies it by overlay. Separately,
  the emission earns a grade under GB/T 39600-2021: ENF ≤ 0.025, E0 ≤ 0.050, E1 ≤ 0.124 mg/m³. The grade is
  reported on the decision; it does not decide the outcome.

  Background:
    Given the category is wood_panels
    And the product model is "SF-1218 强化复合木地板"
    And the evaluation date is 2026-11-01

  Scenario: Laminate flooring with complete evidence is graded but waits for the green limit
    Given a test report "CMA-2026-0512" issued on 2026-05-12 by "Zhejiang Wood Products Test Centre" with:
      | indicator | value | unit    |
      | 甲醛释放量 | 0.018 | mg/m^3  |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-06-10
    When the application is evaluated
    Then the verdicts are:
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

  Scenario Outline: The measured emission earns the best grade it meets
    Given an application that meets every requirement
    And a test report issued on 2026-09-01 with:
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
    Given an application that meets every requirement
    And a test report issued on 2026-09-01 with:
      | indicator             | value | unit   |
      | formaldehyde_emission | 0.2   | mg/m^3 |
    When the application is evaluated
    Then no grade is awarded
    And the label formaldehyde_grade is not eligible

  Scenario: Without an admissible emission result there is no grade to report
    Given an application that meets every requirement
    And a test report issued on 2026-09-01 with:
      | indicator             | value | unit   |
      | formaldehyde_emission | 0.02  | mg/m^3 |
    And the laboratory holds no qualification
    When the application is evaluated
    Then the criterion formaldehyde_emission is undetermined
    And no grade is awarded
    And the label formaldehyde_grade is undetermined

  Scenario Outline: With the certification body's limit, the emission decides the outcome
    Given the overlay examples/overlays/wood_panels
    And an application that meets every requirement
    And a test report issued on 2026-09-01 with:
      | indicator             | value   | unit   |
      | formaldehyde_emission | <value> | mg/m^3 |
    When the application is evaluated
    Then the criterion formaldehyde_emission <verdict>
    And the outcome is <outcome>

    Examples:
      | value | verdict | outcome |
      | 0.018 | passes  | granted |
      | 0.060 | fails   | refused |

  Scenario Outline: Each basic requirement must be proved
    Given an application that meets every requirement except <requirement>
    When the application is evaluated
    Then the basic requirement <requirement> is missing
    And the missing evidence includes a <kind> for <requirement>
    And the eligible labels are none
    And the outcome is incomplete

    Examples:
      | requirement              | kind        |
      | quality_management       | certificate |
      | environmental_management | certificate |
      | no_major_accident        | declaration |
      | pollutant_discharge      | declaration |
      | product_standard         | declaration |

  Scenario: A failed factory inspection refuses the application
    Given an application that meets every requirement except the factory inspection
    And the factory inspection failed on 2026-06-10
    When the application is evaluated
    Then the factory inspection fails
    And the label green_product is not eligible
    And the label environment is not eligible
    And the outcome is refused
