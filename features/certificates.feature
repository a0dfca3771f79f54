@certificates
Feature: A certificate's life (证书) — issue, surveillance, suspension, restoration, scope, conversion, expiry
  A granted binding decision issues a certificate, valid 5 years (the 2026 Measures). Its life is a log of events,
  and its status on any day is read from that log. Surveillance that finds the product no longer conforming
  suspends it; a granted decision before the deadline restores it; a missed deadline leaves it suspended until the
  certification body revokes it. A granted decision for another model extends it; one under a new edition converts
  it. A revoked or expired certificate stays so. The schedule sets no surveillance interval or suspension period
  (no source gives them): a suspension states its deadline, or the certification body sets the period.

  Background:
    Given the category is textiles
    And the overlay examples/overlays/textiles
    And the product model is "BB-220 婴儿连体衣"
    And the product parameter skin_contact_class is direct_skin_contact
    And an application that meets every requirement

  Scenario: One certificate from issue to expiry, read on the days in between
    When the application is evaluated on 2022-03-01
    Then the outcome is granted
    When a certificate is issued on 2022-03-10
    Then the certificate is not issued on 2022-03-09
    And the certificate is valid on 2022-03-10
    And the certificate is valid until 2027-03-09
    When the application is evaluated on 2023-03-01
    And surveillance is recorded on 2023-03-05
    Then the certificate is valid on 2023-03-05
    Given the factory inspection failed on 2024-02-20
    When the application is evaluated on 2024-03-01
    Then the outcome is refused
    When surveillance is recorded on 2024-03-05 with the deadline 2024-06-30
    Then the certificate is suspended on 2024-03-05
    And the certificate is valid on 2024-03-04
    Given the factory inspection passed on 2024-05-20
    When the application is evaluated on 2024-06-01
    And the certificate is restored on 2024-06-10
    Then the certificate is suspended on 2024-06-09
    And the certificate is valid on 2024-06-10
    Given the product model is "BB-230 婴儿睡袋"
    When the application is evaluated on 2025-03-01
    And the certificate scope is extended on 2025-03-10
    Then on 2025-03-10 the certificate covers the models "BB-220 婴儿连体衣" and "BB-230 婴儿睡袋"
    And on 2025-03-09 the certificate covers the model "BB-220 婴儿连体衣"
    When the application is evaluated on 2026-11-01
    Then the decision applies GB/T 35611-2024
    When the certificate is converted on 2026-11-05
    Then on 2026-11-04 the certificate applies GB/T 35611-2017
    And on 2026-11-05 the certificate applies GB/T 35611-2024
    And the certificate is valid on 2027-03-09
    And the certificate is expired on 2027-03-10
    When the application is evaluated on 2027-03-15
    And surveillance is recorded on 2027-03-20
    Then the move is refused because cannot surveil a certificate that is expired since 2027-03-10

  Scenario: A suspension whose deadline passes ends in revocation, and a revoked certificate is not restored
    When the application is evaluated on 2022-03-01
    And a certificate is issued on 2022-03-10
    And the certificate is suspended on 2023-05-01 with the deadline 2023-07-31 because "a verified complaint"
    Then the certificate is suspended on 2023-07-31
    And the suspension deadline is 2023-07-31 and is missed on 2023-08-01
    And the certificate is suspended on 2023-08-15
    When the application is evaluated on 2023-08-10
    And the certificate is restored on 2023-08-15
    Then the move is refused with certificate_deadline_passed
    When the certificate is revoked on 2023-08-16 because "suspension deadline missed"
    Then the certificate is revoked on 2023-08-16
    And the certificate is suspended on 2023-08-15
    When the certificate is restored on 2023-08-20
    Then the move is refused because cannot restore a certificate that is revoked since 2023-08-16

  Scenario: A refused decision issues no certificate
    Given the factory inspection failed on 2022-02-20
    When the application is evaluated on 2022-03-01
    Then the outcome is refused
    When a certificate is issued on 2022-03-10
    Then the move is refused with certificate_decision_not_granted

  Scenario: Without a suspension period a suspension needs its deadline; the certification body may set the period
    When the application is evaluated on 2022-03-01
    And a certificate is issued on 2022-03-10
    And the certificate is suspended on 2023-05-01 because "a verified complaint"
    Then the move is refused with certificate_deadline_required
    Given the certificate schedule sets the suspension period to 3 months
    When a certificate is issued on 2022-03-10
    Then the move is refused with certificate_already_issued

  Scenario: A certificate issued with a set suspension period derives the deadline
    Given the certificate schedule sets the suspension period to 3 months
    When the application is evaluated on 2022-03-01
    And a certificate is issued on 2022-03-10
    And the certificate is suspended on 2023-05-01 because "a verified complaint"
    Then the suspension deadline is 2023-08-01 and is missed on 2023-08-02
    When the certificate is cancelled on 2023-06-01 because "the holder asked"
    Then the certificate is cancelled on 2023-06-01
    And the certificate is suspended on 2023-05-31

  Scenario: A certification body's overlay sets the schedule of its rule set; the validity stays the Measures'
    Given the overlay examples/overlays/certificate_schedule
    When the application is evaluated on 2022-03-01
    And a certificate is issued on 2022-03-10
    Then on 2022-03-10 the certificate's surveillance interval is 12 months set by the overlay example_cb/textiles_schedule
    And on 2022-03-10 the certificate's suspension period is 90 days set by the overlay example_cb/textiles_schedule
    And on 2022-03-10 the certificate's validity is 5 years set by the catalogue
    And on 2023-01-01 the certificate's surveillance is due on 2023-03-10
    When the certificate is suspended on 2023-05-01 because "a verified complaint"
    Then the suspension deadline is 2023-07-30 and is missed on 2023-07-31
