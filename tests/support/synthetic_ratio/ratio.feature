@widgets
Feature: A criterion on the ratio of two indicators — synthetic test data for `ratio_lte`
  The synthetic rule set widgets/SYN-RATIO asks that the VOC content (g/L) divided by the density (kg/m³) be at
  most 5 %: the units are converted (1 g/L per kg/m³ is 100 %). Nothing here is a real limit.

  Background:
    Given the category is widgets
    And the product model is "W-1"
    And the evaluation date is 2025-03-01

  Scenario: A ratio within the limit passes
    Given a test report "CMA-W-1" issued on 2025-01-10 with:
      | indicator   | value | unit   |
      | voc_content | 40    | g/L    |
      | density     | 1000  | kg/m^3 |
    When the application is evaluated
    Then the criterion voc_ratio passes
    And the label full is eligible
    And the outcome is granted

  Scenario: A ratio above the limit fails, whatever units the laboratory reports in
    Given a test report "CMA-W-2" issued on 2025-01-10 with:
      | indicator   | value | unit   |
      | voc_content | 60    | mg/mL  |
      | density     | 1     | g/cm^3 |
    When the application is evaluated
    Then the criterion voc_ratio fails because limit_exceeded
    And the label full is not eligible
    And the outcome is refused

  Scenario: Without the denominator's result the ratio is missing
    Given a test report "CMA-W-3" issued on 2025-01-10 with:
      | indicator   | value | unit |
      | voc_content | 40    | g/L  |
    When the application is evaluated
    Then the criterion voc_ratio is missing
    And the outcome is incomplete
