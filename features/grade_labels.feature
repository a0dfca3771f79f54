@wood_panels @grade_labels
Feature: A grade label is a certification too — the formaldehyde emission grades of wood-based panels
  The GB/T 39600-2021 grades ENF ≤ 0.025, E0 ≤ 0.050 and E1 ≤ 0.124 mg/m³ are the grade label
  `formaldehyde_grade` of the wood-panel rule set. A grade label is gated like every label: every basic
  requirement and the factory inspection must pass before a grade is awarded. A not-detected result says only
  that the emission is below its detection limit: it proves the grades whose bound the limit reaches, and leaves
  the better ones open until a more sensitive test proves them.
  Every scenario is evaluated on 2025-03-01, under GB/T 35601-2017, the edition in force that day.

  Background:
    Given the category is wood_panels
    And the product model is "SF-1218 强化复合木地板"
    And the evaluation date is 2025-03-01
    And the application asks for the label formaldehyde_grade

  Scenario: A failed factory inspection and a missing basic requirement refuse a grade asked for on its own
    Given a test report "CMA-2025-0110" issued on 2025-01-10 with:
      | indicator             | value | unit   |
      | formaldehyde_emission | 0.018 | mg/m^3 |
    And every basic requirement is met except environmental_management
    And the factory inspection failed on 2025-01-20
    When the application is evaluated
    Then the decision applies GB/T 35601-2017
    And the basic requirement environmental_management is missing
    And the factory inspection fails
    And the evidence proves grade ENF
    But no grade is awarded
    And the label formaldehyde_grade is not eligible
    And the outcome is refused

  Scenario: A pending corrective action leaves a proven grade waiting
    Given a test report "CMA-2025-0110" issued on 2025-01-10 with:
      | indicator             | value | unit   |
      | formaldehyde_emission | 0.018 | mg/m^3 |
    And every basic requirement is met
    And the factory inspection required corrective action due 2025-04-30
    When the application is evaluated
    Then the decision applies GB/T 35601-2017
    And the factory inspection is pending
    And the evidence proves grade ENF
    But no grade is awarded
    And the label formaldehyde_grade is undetermined
    And the missing evidence includes a corrective action for the factory inspection
    And the outcome is incomplete

  Scenario: A detection limit above every band proves no grade, so the grade is undetermined, not refused
    Given an application that meets every requirement
    And a test report "CMA-2025-0112" issued on 2025-01-12 with:
      | indicator             | value        | unit   | detection limit |
      | formaldehyde_emission | not detected | mg/m^3 | 0.2             |
    When the application is evaluated
    Then the decision applies GB/T 35601-2017
    And no grade is awarded
    And the label formaldehyde_grade is undetermined
    And the open grades are ENF, E0 and E1
    And a detection limit at or below 0.025 mg/m^3 would prove ENF
    And a detection limit at or below 0.050 mg/m^3 would prove E0
    And a detection limit at or below 124 ug/m^3 would prove E1
    And the missing evidence includes a test result for formaldehyde_grade
    And the outcome is incomplete

  Scenario: A detection limit between the ENF and E0 bounds proves E0 and leaves ENF to a more sensitive test
    Given an application that meets every requirement
    And a test report "CMA-2025-0112" issued on 2025-01-12 with:
      | indicator             | value        | unit   | detection limit |
      | formaldehyde_emission | not detected | mg/m^3 | 0.03            |
    When the application is evaluated
    Then the decision applies GB/T 35601-2017
    And the grade is E0
    And the label formaldehyde_grade is eligible
    And the open grades are ENF
    And a detection limit at or below 0.025 mg/m^3 would prove ENF
    And the missing evidence does not include formaldehyde_grade
    And the outcome is granted

  Scenario Outline: A not-detected result at or below a band's bound proves that band, and leaves no better one open
    Given an application that meets every requirement
    And a test report issued on 2025-01-12 with:
      | indicator             | value        | unit   | detection limit |
      | formaldehyde_emission | not detected | mg/m^3 | <limit>         |
    When the application is evaluated
    Then the grade is <grade>
    And the label formaldehyde_grade is eligible
    And the open grades are <open>
    And the outcome is granted

    Examples:
      | limit | grade | open    |
      | 0.01  | ENF   | none    |
      | 0.025 | ENF   | none    |
      | 0.05  | E0    | ENF     |
      | 0.124 | E1    | ENF, E0 |
