@catalogue_only
Feature: Catalogue entries without a rule set — tyres, household appliances, kitchen and bathroom hardware, household gas appliances
  These batch-3 and batch-4 categories are listed in the catalogue, but no edition of their evaluation standard
  can be put in force honestly: the standard's number or its dates, or those of the implementation rule, are not
  known. An application for them cannot be evaluated; it is rejected before evaluation, and says so. When a rule
  set is added for one of them, this feature fails for it: move the category to a feature file of its own.

  Scenario Outline: An application for <category> is rejected because no rule set is shipped
    Given the category is <category>
    And the product model is "<model>"
    And the evaluation date is 2026-11-01
    And an application that meets every requirement
    When the application is evaluated
    Then the application is rejected with edition_not_in_force

    Examples:
      | category                  | model                 |
      | tyres                     | TR-205 乘用车轮胎     |
      | household_appliances      | BCD-520 冰箱          |
      | kitchen_bathroom_hardware | KF-30 厨房水嘴        |
      | household_gas_appliances  | JZT-2 燃气灶          |

  Scenario: The catalogue still knows them by their Chinese names
    Given the category is 轮胎
    And the evaluation date is 2026-11-01
    When the application is evaluated
    Then the application is rejected with edition_not_in_force
