"""The impact jobs' tables: a job's state (status, progress, summary) and its per-certificate results.

Unlike the registry's append-only tables, a job row is updated as the job runs (status, progress, heartbeat): it is
operational state, not a record of the registry. It lives in the database, so that every server process on one
PostgreSQL sees every job (and the one-active-job-per-body bound holds across them: a unique column)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UtcDateTime

__all__ = ["ImpactJobRecord", "ImpactResultRecord"]


class ImpactJobRecord(Base):
    """One impact analysis asked by a certification body: what it asked, where it is, what it found."""

    __tablename__ = "impact_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))  # the body: only its certificates are examined
    api_key_id: Mapped[str] = mapped_column(String(40), ForeignKey("api_keys.id"))
    category: Mapped[str] = mapped_column(String(100))
    edition: Mapped[str] = mapped_column(String(100))  # the standard, as resolved at the request
    ruleset_id: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[dt.date] = mapped_column(Date())
    overlay: Mapped[dict[str, Any] | None] = mapped_column(JSON(), default=None)  # a "what if", never stored as rules
    status: Mapped[str] = mapped_column(String(20))  # queued | running | done | failed
    done: Mapped[int] = mapped_column(Integer(), default=0)  # certificates examined
    total: Mapped[int | None] = mapped_column(Integer(), default=None)  # certificates of the category to examine
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON(), default=None)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON(), default=None)  # current editions, deadlines
    diagnostics: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(), default=None)
    # the body's name while the job is queued or running, NULL once it ended: unique, so one active job per body
    active_for: Mapped[str | None] = mapped_column(String(200), default=None)
    pid: Mapped[int | None] = mapped_column(Integer(), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=None)

    __table_args__ = (
        UniqueConstraint("active_for", name="uq_impact_jobs_active_for"),
        Index("ix_impact_jobs_organisation", "organisation"),
        Index("ix_impact_jobs_status", "status"),
    )


class ImpactResultRecord(Base):
    """One certificate's verdict in a finished job, at its position (certificates by number)."""

    __tablename__ = "impact_results"

    job_id: Mapped[str] = mapped_column(String(36), ForeignKey("impact_jobs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer(), primary_key=True)
    number: Mapped[str] = mapped_column(String(60))
    verdict: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    ruleset_id: Mapped[str | None] = mapped_column(String(200), default=None)
    failing: Mapped[list[dict[str, Any]]] = mapped_column(JSON())
    missing: Mapped[list[str]] = mapped_column(JSON())
    diagnostics: Mapped[list[dict[str, Any]]] = mapped_column(JSON())

    __table_args__ = (Index("ix_impact_results_job_verdict", "job_id", "verdict", "position"),)
