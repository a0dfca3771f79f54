@detergents
Feature: Detergents (洗涤用品) — GB/T 39020-2020, implementation rule CNCA-CGP-14:2021 (code inferred)
  Detergents are certified in three units by form: soap, powder (and other solids) and liquid, each with its own
  indicators in the attribute group the source gives. Resource: raw-material use (every unit), alkali and oil
  consumption, fatty-acid utilisation (soap), surfactant biodegradability (powder, liquid), water intake. Energy:
  comprehensive energy. Environment: waste water discharge, COD. Quality: phosphate, dry sodium soap (soap),
  detergency, dioxane, arsenic, lead (powder, liquid). The partial labels rest on these groups. No benchmark value is
  known, so every criterion ships without a limit and every decision stays incomplete (or refused, when the factory
  inspection fails) until a certification body supplies the limits by overlay.

  Background:
    Given the category is detergents
    And the product model is "LS-500 洗衣皂"
    And the evaluation date is 2026-11-01

  Scenario: A laundry soap with complete evidence waits for the certification body's limits
    Given the product parameter form is soap
    And a test report "CMA-DT-2026-0801" issued on 2026-08-01 by "National Detergent Quality Inspection Centre" with:
      | indicator              | value    | unit   |
      | raw_material_use       | conforms |        |
      | alkali_consumption     | 80       | kg/t   |
      | oil_consumption        | 900      | kg/t   |
      | fatty_acid_utilisation | 97       | %      |
      | 取水量                 | 1.5      | m^3/t  |
      | 综合能耗               | 40       | kgce/t |
      | 废水量                 | 0.8      | m^3/t  |
      | COD                    | 1.2      | kg/t   |
      | phosphate              | 0.1      | %      |
      | dry_sodium_soap        | 72       | %      |
    And the laboratory holds CMA and CNAS
    And the certificates are:
      | standard        | valid until |
      | GB/T 19001-2016 | 2028-03-01  |
      | GB/T 24001-2016 | 2028-03-01  |
    And the declarations no_major_accident, pollutant_discharge_compliant, product_standard_compliant
    And the factory inspection passed on 2026-09-10
    When the application is evaluated
    Then the certification unit is soap
    And the verdicts are:
      | criterion                   | verdict        | reason            |
      | raw_material_use_soap       | undetermined   | limit_unconfirmed |
      | alkali_consumption_soap     | undetermined   | limit_unconfirmed |
      | oil_consumption_soap        | undetermined   | limit_unconfirmed |
      | fatty_acid_utilisation_soap | undetermined   | limit_unconfirmed |
      | water_intake_soap           | undetermined   | limit_unconfirmed |
      | energy_consumption_soap     | undetermined   | limit_unconfirmed |
      | waste_water_soap            | undetermined   | limit_unconfirmed |
      | cod_soap                    | undetermined   | limit_unconfirmed |
      | phosphate_soap              | undetermined   | limit_unconfirmed |
      | dry_sodium_soap_soap        | undetermined   | limit_unconfirmed |
      | phosphate_powder            | not applicable |                   |
      | phosphate_liquid            | not applicable |                   |
      | quality_management          | pass           |                   |
      | environmental_management    | pass           |                   |
      | no_major_accident           | pass           |                   |
      | pollutant_discharge         | pass           |                   |
      | product_standard            | pass           |                   |
      | factory inspection          | pass           |                   |
    And the missing evidence includes a limit value for phosphate_soap
    And the eligible labels are none
    And the outcome is incomplete

  Scenario Outline: Every indicator of a <form> waits for the certification body's limit
    Given the product parameter form is <form>
    And every basic requirement is met
    And the factory inspection passed on 2026-09-10
    When the application is evaluated
    Then the certification unit is <form>
    And the verdicts are:
      | criterion                          | verdict      | reason            |
      | raw_material_use_<form>            | undetermined | limit_unconfirmed |
      | water_intake_<form>                | undetermined | limit_unconfirmed |
      | energy_consumption_<form>          | undetermined | limit_unconfirmed |
      | waste_water_<form>                 | undetermined | limit_unconfirmed |
      | cod_<form>                         | undetermined | limit_unconfirmed |
      | phosphate_<form>                   | undetermined | limit_unconfirmed |
      | surfactant_biodegradability_<form> | undetermined | limit_unconfirmed |
      | dioxane_<form>                     | undetermined | limit_unconfirmed |
      | arsenic_<form>                     | undetermined | limit_unconfirmed |
      | lead_<form>                        | undetermined | limit_unconfirmed |
      | detergency_<form>                  | undetermined | limit_unconfirmed |
      | raw_material_use_soap              | not applicable |                 |
    And the label green_product is undetermined
    And the outcome is incomplete

    Examples:
      | form   |
      | powder |
      | liquid |

  Scenario Outline: With the certification body's limits, a <form> meeting all of them is granted
    Given the overlay examples/overlays/detergents
    And the product parameter form is <form>
    And an application that meets every requirement
    When the application is evaluated
    Then the eligible labels are green_product, resource, energy, environment, quality
    And the outcome is granted

    Examples:
      | form   |
      | soap   |
      | powder |
      | liquid |

  Scenario Outline: Phosphate is a quality indicator: a phosphate-rich <form> loses the quality label and keeps the others
    Given the overlay examples/overlays/detergents
    And the product parameter form is <form>
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator | value | unit |
      | 磷酸盐    | 5     | %    |
    When the application is evaluated
    Then the criterion phosphate_<form> fails because limit_exceeded
    And the label quality is not eligible
    And the label environment is eligible
    And the eligible labels are resource, energy, environment
    And the outcome is refused

    Examples:
      | form   |
      | soap   |
      | powder |
      | liquid |

  Scenario Outline: Surfactant biodegradability is a resource indicator: a poorly degradable <form> loses the resource label and keeps the others
    Given the overlay examples/overlays/detergents
    And the product parameter form is <form>
    And an application that meets every requirement
    And a test report issued on 2026-08-01 with:
      | indicator                   | value | unit |
      | surfactant_biodegradability | 60    | %    |
    When the application is evaluated
    Then the criterion surfactant_biodegradability_<form> fails because requirement_not_met
    And the label resource is not eligible
    And the label quality is eligible
    And the eligible labels are energy, environment, quality
    And the outcome is refused

    Examples:
      | form   |
      | powder |
      | liquid |

  Scenario Outline: Each basic requirement must be proved
    Given the product parameter form is liquid
    And an application that meets every requirement except <requirement>
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

  Scenario Outline: The factory inspection gates every label
    Given the product parameter form is powder
    And an application that meets every requirement except the factory inspection
    And the factory inspection <inspection>
    When the application is evaluated
    Then the factory inspection <verdict>
    And the eligible labels are none
    And the label green_product is <label>
    And the outcome is <outcome>

    Examples:
      | inspection                                   | verdict    | label        | outcome    |
      | failed on 2026-09-10                         | fails      | not eligible | refused    |
      | required corrective action due by 2026-12-01 | is pending | undetermined | incomplete |
