@coatings
Feature: Coatings (涂料) — GB/T 35602-2017, implementation rule CNCA-CGP-02:2021
  The shipped rule set judges four substances against the limits a published summary of the standard gives:
  benzene ≤ 100 mg/kg, formaldehyde ≤ 100 mg/kg, each listed phthalate ≤ 100 mg/kg and each listed azo dye
  ≤ 50 mg/kg. VOC content and soluble heavy metals have no shipped limit and are not evaluated.
  Every application also needs the five basic requirements of GB/T 33761-2017 and a factory inspection.

  Background:
    Given the category is coatings
    And the product model is "LW-2100 哑光内墙乳胶漆"
    And the product parameters are:
      | parameter | value         |
      | base      | waterborne    |
      | use       | interior_wall |
      | gloss_60  | 5             |
    And the evaluation date is 2026-11-01

  Scenario: A matte interior wall paint with complete evidence is granted
    Given a test report "CMA-2026-0415" issued on 2026-04-15 by "Guangdong Inspection Institute" with:
      | indicator      | value        | unit  | detection limit |
      | benzene        | not detected | mg/kg | 5               |
      | 甲醛           | 12           | mg/kg |                 |
      | phthalates_max | 0.004        | %     |                 |
      | 偶氮染料       | 8            | mg/kg |                 |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-05-20
    When the application is evaluated
    Then the outcome is granted
    And the verdicts are:
      | criterion                | verdict |
      | benzene                  | pass    |
      | formaldehyde             | pass    |
      | phthalates               | pass    |
      | azo_dyes                 | pass    |
      | quality_management       | pass    |
      | environmental_management | pass    |
      | no_major_accident        | pass    |
      | pollutant_discharge      | pass    |
      | product_standard         | pass    |
      | factory inspection       | pass    |
    And the margin for formaldehyde is 88 mg/kg
    And the relative margin for formaldehyde is 88 %
    And the measured value for phthalates is 40 mg/kg
    And the margin for benzene is 95 mg/kg
    And the eligible labels are green_product, environment
    And no evidence is missing
    And a caveat mentions voc_content

  Scenario Outline: Each substance is judged against its limit, in whatever unit the laboratory reports it
    Given an application that meets every requirement
    And a test report issued on 2026-10-01 with:
      | indicator   | value   | unit   |
      | <indicator> | <value> | <unit> |
    When the application is evaluated
    Then the criterion <criterion> <verdict>
    And the margin for <criterion> is <margin> mg/kg within 0.000001
    And the outcome is <outcome>

    Examples: at the limit, the result passes
      | indicator      | value | unit  | criterion    | verdict | margin | outcome |
      | 苯             | 100   | mg/kg | benzene      | passes  | 0      | granted |
      | formaldehyde   | 0.01  | %     | formaldehyde | passes  | 0      | granted |
      | 邻苯二甲酸酯   | 100   | mg/kg | phthalates   | passes  | 0      | granted |
      | azo_dyes       | 0.05  | g/kg  | azo_dyes     | passes  | 0      | granted |

    Examples: above the limit, the result fails and the application is refused
      | indicator      | value | unit  | criterion    | verdict | margin | outcome |
      | benzene        | 100.5 | mg/kg | benzene      | fails   | -0.5   | refused |
      | 甲醛           | 120   | mg/kg | formaldehyde | fails   | -20    | refused |
      | phthalates     | 0.011 | %     | phthalates   | fails   | -10    | refused |
      | 偶氮染料       | 51    | mg/kg | azo_dyes     | fails   | -1     | refused |

  Scenario Outline: A substance nobody tested leaves the application incomplete
    Given an application that meets every requirement except <criterion>
    When the application is evaluated
    Then the criterion <criterion> is missing
    And the missing evidence includes a test result for <criterion>
    And the outcome is incomplete
    And the label green_product is undetermined

    Examples:
      | criterion    |
      | benzene      |
      | formaldehyde |
      | phthalates   |
      | azo_dyes     |

  Scenario: A formaldehyde result above the limit refuses both labels
    Given an application that meets every requirement
    And a test report issued on 2026-09-01 with:
      | indicator    | value | unit  |
      | formaldehyde | 130   | mg/kg |
    When the application is evaluated
    Then the criterion formaldehyde fails because limit_exceeded
    And no label is eligible
    And the label environment is not eligible
    And the outcome is refused

  Scenario: Test reports the rules do not accept are not used
    Given an application that meets every requirement
    And a test report "OLD-2025-0901" issued on 2025-09-01 with:
      | indicator | value | unit  |
      | benzene   | 10    | mg/kg |
    And a test report "NO-CMA-2026" issued on 2026-09-01 with:
      | indicator    | value | unit  |
      | formaldehyde | 10    | mg/kg |
    And the laboratory holds CNAS
    And a test report "OTHER-MODEL-2026" issued on 2026-09-01 with:
      | indicator  | value | unit  |
      | phthalates | 10    | mg/kg |
    And the report covers the model "LW-2200"
    And a test report "FUTURE-2026" issued on 2026-12-01 with:
      | indicator | value | unit  |
      | azo_dyes  | 10    | mg/kg |
    When the application is evaluated
    Then the verdicts are:
      | criterion    | verdict        | reason                       |
      | benzene      | not acceptable | expired                      |
      | formaldehyde | not acceptable | unqualified_laboratory       |
      | phthalates   | not acceptable | other_model                  |
      | azo_dyes     | not acceptable | issued_after_evaluation_date |
    And the outcome is incomplete

  Scenario: A not-detected result counts only with a detection limit at or below the limit
    Given an application that meets every requirement
    And a test report issued on 2026-09-01 with:
      | indicator    | value        | unit  | detection limit |
      | benzene      | not detected | mg/kg | 150             |
      | formaldehyde | not detected | mg/kg |                 |
      | azo_dyes     | < 50         | mg/kg |                 |
    When the application is evaluated
    Then the criterion benzene is not acceptable because detection_limit_too_high
    And the criterion formaldehyde is not acceptable because detection limit missing
    And the criterion azo_dyes passes
    And the margin for azo_dyes is 0 mg/kg

  Scenario: The newest acceptable report decides
    Given an application that meets every requirement
    And a test report "2026-03" issued on 2026-03-01 with:
      | indicator    | value | unit  |
      | formaldehyde | 140   | mg/kg |
    And a test report "2026-09" issued on 2026-09-01 with:
      | indicator    | value | unit  |
      | formaldehyde | 60    | mg/kg |
    When the application is evaluated
    Then the criterion formaldehyde passes
    And the margin for formaldehyde is 40 mg/kg

  Scenario Outline: Each basic requirement must be proved
    Given an application that meets every requirement except <requirement>
    When the application is evaluated
    Then the basic requirement <requirement> is missing
    And the missing evidence includes a <kind> for <requirement>
    And the outcome is incomplete

    Examples:
      | requirement              | kind        |
      | quality_management       | certificate |
      | environmental_management | certificate |
      | no_major_accident        | declaration |
      | pollutant_discharge      | declaration |
      | product_standard         | declaration |

  Scenario: A management-system certificate must be valid on the evaluation date
    Given an application that meets every requirement
    And a certificate to GB/T 19001-2016 valid until 2026-10-31
    And a certificate to GB/T 24001-2016 valid from 2026-01-01 until 2029-12-31
    When the application is evaluated
    Then the basic requirement quality_management is not acceptable because certificate_not_valid
    And the basic requirement environmental_management is met
    And the missing evidence includes a certificate for quality_management
    And the outcome is incomplete

  Scenario: The declarations prove the enterprise-level requirements
    Given an application that meets every requirement except no_major_accident, pollutant_discharge, product_standard
    And the applicant declares no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    When the application is evaluated
    Then the verdicts are:
      | requirement         | verdict |
      | no_major_accident   | pass    |
      | pollutant_discharge | pass    |
      | product_standard    | pass    |
    And the outcome is granted

  Scenario Outline: The factory inspection gates every label
    Given an application that meets every requirement except the factory inspection
    And the factory inspection <inspection>
    And the corrective action was <verification>
    When the application is evaluated
    Then the factory inspection <verdict>
    And the outcome is <outcome>

    Examples:
      | inspection                                    | verification       | verdict    | outcome    |
      | required corrective action due by 2026-12-15  | not verified       | is pending | incomplete |
      | required corrective action due by 2026-10-15  | not verified       | fails      | refused    |
      | required corrective action due by 2026-10-15  | verified on 2026-10-10 | passes | granted    |

  Scenario: A failed factory inspection refuses the application
    Given an application that meets every requirement except the factory inspection
    And the factory inspection failed on 2026-06-01
    When the application is evaluated
    Then the factory inspection fails because inspection_failed
    And the eligible labels are none
    And the outcome is refused

  Scenario: Without a factory inspection the certification body still has work to do
    Given an application that meets every requirement except factory inspection
    When the application is evaluated
    Then the factory inspection is missing
    And the missing evidence includes the factory inspection
    And the outcome is incomplete

  Scenario: The applicant may ask for the partial (environment) label only
    Given an application that meets every requirement
    And the application asks for the label environment
    When the application is evaluated
    Then the label environment is eligible
    And the outcome is granted

  Scenario Outline: The product parameters decide the certification unit
    Given an application that meets every requirement
    And the product parameter use is <use>
    And the product parameter gloss_60 is <gloss>
    When the application is evaluated
    Then the outcome is granted

    Examples:
      | use           | gloss |
      | interior_wall | 10    |
      | interior_wall | 10.5  |
      | exterior_wall | 80    |

  Scenario: A certification unit that contradicts the parameters is rejected at intake
    Given an application that meets every requirement
    And the certification unit is interior_wall_high_gloss
    When the application is evaluated
    Then the application is rejected with application_unit_mismatch
