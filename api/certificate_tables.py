"""The certificate tables: certificates and their append-only event log, and the number counters per prefix."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UtcDateTime

__all__ = ["CertificateCounter", "CertificateRecord", "CertificateEventRecord", "DrawRecord", "CertificatePublicState"]


class CertificateCounter(Base):
    """The last sequence number used under a prefix, and the organisation owning the prefix. The one row per
    prefix is updated (`last + 1`) in the transaction that inserts the certificate: the row lock serialises
    issuers of every process and server, and a rolled-back issue leaves no gap-filling reuse behind."""

    __tablename__ = "certificate_counters"

    prefix: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))
    last: Mapped[int] = mapped_column(Integer())


class CertificateRecord(Base):
    """What a certificate is at issue: who issued it, to whom, from which evaluation. Never changed (the
    migration adds triggers refusing UPDATE and DELETE); its life is its events."""

    __tablename__ = "certificates"

    number: Mapped[str] = mapped_column(String(60), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer())
    organisation: Mapped[str] = mapped_column(String(200))  # the certification body that issued it
    holder: Mapped[str] = mapped_column(String(200))  # the holder's organisation (its keys read the certificate)
    holder_name: Mapped[str] = mapped_column(String(300))
    manufacturer: Mapped[str | None] = mapped_column(String(300))
    production_sites: Mapped[list[str]] = mapped_column(JSON())
    category: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100), default=None)  # where it was certified (0003)
    evaluation_id: Mapped[str] = mapped_column(String(36), ForeignKey("decisions.id"))
    api_key_id: Mapped[str] = mapped_column(String(40), ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("prefix", "sequence", name="uq_certificates_prefix_sequence"),
        UniqueConstraint("organisation", "idempotency_key", name="uq_certificates_organisation_idempotency_key"),
        Index("ix_certificates_organisation", "organisation"),
        Index("ix_certificates_holder", "holder"),
        Index("ix_certificates_category_number", "category", "number"),
        Index("ix_certificates_region", "region"),
        Index("ix_certificates_holder_name", "holder_name"),
        Index("ix_certificates_evaluation", "evaluation_id"),
    )


class CertificateEventRecord(Base):
    """One event of a certificate's life, numbered 1, 2, ... per certificate: the unique (certificate,
    sequence) pair makes two concurrent writers of the same next event collide, and the loser checks again
    against the log that now holds the winner's event. Who, when, why, the decision and the rule-set version."""

    __tablename__ = "certificate_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    certificate_number: Mapped[str] = mapped_column(String(60), ForeignKey("certificates.number"))
    sequence: Mapped[int] = mapped_column(Integer())
    kind: Mapped[str] = mapped_column(String(32))
    effective_on: Mapped[dt.date] = mapped_column(Date())
    reason: Mapped[str | None] = mapped_column(String(2000))
    evaluation_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("decisions.id"))
    ruleset_version: Mapped[str | None] = mapped_column(String(100))
    event: Mapped[dict[str, Any]] = mapped_column(JSON())
    organisation: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[str] = mapped_column(String(40), ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("certificate_number", "sequence", name="uq_certificate_events_certificate_sequence"),
        UniqueConstraint("organisation", "idempotency_key", name="uq_certificate_events_organisation_idempotency_key"),
        Index("ix_certificate_events_evaluation", "evaluation_id"),
    )


class DrawRecord(Base):
    """A random draw of certificates for spot checks (双随机一公开): the seed, the day and filters, the
    population's size and the numbers drawn. Append-only; the checks' outcomes are surveillance events."""

    __tablename__ = "draws"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seed: Mapped[str] = mapped_column(String(100))
    as_of: Mapped[dt.date] = mapped_column(Date())
    filters: Mapped[dict[str, Any]] = mapped_column(JSON())
    requested: Mapped[int] = mapped_column(Integer())
    population: Mapped[int] = mapped_column(Integer())
    numbers: Mapped[list[str]] = mapped_column(JSON())
    organisation: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[str] = mapped_column(String(40), ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class CertificatePublicState(Base):
    """The public read model (api.read_model, migration 0004): a certificate's public view from `from_on` until
    `until_on` (exclusive; NULL: no end), derived from its log and rewritten in the transaction of each of its
    events. Not append-only: derived data, rebuilt from the logs at will."""

    __tablename__ = "certificate_public_states"

    certificate_number: Mapped[str] = mapped_column(String(60), ForeignKey("certificates.number"), primary_key=True)
    from_on: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    until_on: Mapped[dt.date | None] = mapped_column(Date())
    state: Mapped[str] = mapped_column(String(32))
    valid: Mapped[bool] = mapped_column(Boolean())
    category: Mapped[str | None] = mapped_column(String(100))
    label_kind: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[str] = mapped_column(String(1000))  # `|id|attribute|…|` of the labels
    body: Mapped[str] = mapped_column(Text())  # the public view as JSON, without `as_of`

    __table_args__ = (
        Index("ix_certificate_public_states_category_number", "category", "certificate_number"),
    )
