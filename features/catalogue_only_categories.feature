@catalogue_only
Feature: Catalogue entries without a rule set — batches 3 and 4, and the eight new categories of batch 5
  These categories are listed in the catalogue with their implementation rule and its date, but no edition of their
  evaluation standard can be put in force honestly: for tyres and household appliances no indicator and no rule
  code are known; for kitchen and bathroom hardware, household gas appliances and the eight categories of the fifth
  list of rules (2025-09-09) the evaluation standard itself is not known. An application for them cannot be
  evaluated; it is rejected before evaluation, and says so. When a rule set is added for one of them, this feature
  fails for it: move the category to a feature file of its own.

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
      | lighting                  | LED-18 吸顶灯         |
      | reusable_logistics_boxes  | TB-600 物流周转箱     |
      | dyes                      | RD-3 活性染料         |
      | premixed_mortar           | PM-10 预拌抹灰砂浆    |
      | stone                     | GR-20 花岗岩板        |
      | refractories              | RB-42 耐火砖          |
      | computers                 | PC-7 台式计算机       |
      | printers                  | MF-400 多功能一体机   |

  Scenario: The catalogue still knows them by their Chinese names
    Given the category is 轮胎
    And the evaluation date is 2026-11-01
    When the application is evaluated
    Then the application is rejected with edition_not_in_force

  Scenario: A batch-5 category is known by its Chinese name too
    Given the category is 照明产品
    And the evaluation date is 2026-11-01
    When the application is evaluated
    Then the application is rejected with edition_not_in_force
