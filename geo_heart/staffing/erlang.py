"""Analytic loss-system model: Erlang-B with the modified offered load (MOL) approximation.

A program's teams form a loss system: a call that finds every team busy goes to police. For a
stationary Poisson stream of offered load ``a`` Erlangs and ``s`` teams the blocked share is
Erlang-B ``B(s, a)`` (insensitive to the service-time distribution). Demand varies by hour of the
week, so the time-varying form is used: the **modified offered load**

.. math:: m(t) = \\int_0^\\infty \\lambda_o(t - x)\\, P(H > x)\\, dx = E[\\lambda_o(t - H_e)]\\,E[H]

(``H`` the hold time, ``H_e`` its equilibrium excess), i.e. the number of calls that would be in
service at ``t`` with unlimited teams, and the blocked share at ``t`` is ``B(s(t), m(t))``.
Offered arrivals ``λ_o`` are the calls that arrive while the program is in service with at least
one team; the week repeats, so the integral is a circular convolution on a one-minute grid.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field

import numpy as np

from geo_heart.errors import InputError

log = logging.getLogger(__name__)

#: minutes in a week; hour of week ``h`` covers minutes ``60 h .. 60 h + 59`` (Mon 00:00 = 0)
WEEK_MIN = 7 * 1440
HOURS = 168
#: weeks in a (365.25-day) year
WEEKS_PER_YEAR = 365.25 / 7
DISTRIBUTIONS = ("exponential", "deterministic", "lognormal")


def erlang_b(servers, load) -> np.ndarray:
    """Erlang-B blocking probability, vectorised, by the stable recursion.

    ``B(0, a) = 1``, ``B(k, a) = a B(k-1, a) / (k + a B(k-1, a))``.

    Parameters
    ----------
    servers
        Number of servers (teams), integer array or scalar; ``<= 0`` blocks everything.
    load
        Offered load in Erlangs (same shape or broadcastable), ``>= 0``.

    Returns
    -------
    numpy.ndarray
        Blocking probabilities, the broadcast shape of the inputs.
    """
    s = np.asarray(servers, dtype=np.int64)
    a = np.asarray(load, dtype=float)
    s, a = np.broadcast_arrays(s, a)
    if np.any(a < 0) or not np.all(np.isfinite(a)):
        raise InputError(f"offered load must be finite and >= 0, got min {float(a.min())!r}")
    out = np.ones(a.shape, dtype=float)
    b = np.ones(a.shape, dtype=float)
    top = int(s.max(initial=0))
    for k in range(1, top + 1):
        ab = a * b
        b = ab / (k + ab)
        out = np.where(s == k, b, out)
    return out


def erlang_b_table(load, max_servers: int) -> np.ndarray:
    """Blocking for every server count ``0..max_servers``: shape ``(max_servers + 1, *load.shape)``."""
    a = np.asarray(load, dtype=float)
    out = np.empty((max_servers + 1, *a.shape), dtype=float)
    b = np.ones(a.shape, dtype=float)
    out[0] = b
    for k in range(1, max_servers + 1):
        ab = a * b
        b = ab / (k + ab)
        out[k] = b
    return out


@dataclass(frozen=True)
class ServiceTime:
    """How long one call keeps a team busy: ``travel_minutes`` + an on-scene time.

    Parameters
    ----------
    mean_minutes
        Mean on-scene service time (minutes), > 0.
    distribution
        ``exponential`` (default), ``deterministic`` or ``lognormal``.
    cv
        Coefficient of variation of the lognormal (ignored otherwise).
    travel_minutes
        Fixed minutes added to every call (driving to the scene), >= 0.
    """

    mean_minutes: float
    distribution: str = "exponential"
    cv: float = 1.0
    travel_minutes: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean_minutes) and self.mean_minutes > 0):
            raise InputError(f"service time {self.mean_minutes!r} minutes: must be > 0")
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(
                f"service-time distribution {self.distribution!r}: known {', '.join(DISTRIBUTIONS)}"
            )
        if not (math.isfinite(self.cv) and self.cv > 0):
            raise InputError(f"lognormal cv {self.cv!r}: must be > 0")
        if not (math.isfinite(self.travel_minutes) and self.travel_minutes >= 0):
            raise InputError(f"travel time {self.travel_minutes!r} minutes: must be >= 0")

    @property
    def hold_mean_minutes(self) -> float:
        """Mean time a team is committed to one call (travel + on scene), minutes."""
        return self.travel_minutes + self.mean_minutes

    def describe(self) -> str:
        """E.g. ``exponential, mean 60 min + 10 min travel``."""
        dist = self.distribution + (
            f" (cv {self.cv:g})" if self.distribution == "lognormal" else ""
        )
        travel = f" + {self.travel_minutes:g} min travel" if self.travel_minutes else ""
        return f"{dist}, mean {self.mean_minutes:g} min{travel}"

    def _lognormal_params(self) -> tuple[float, float]:
        sigma2 = math.log1p(self.cv**2)
        return math.log(self.mean_minutes) - sigma2 / 2, math.sqrt(sigma2)

    def survival(self, x_minutes: np.ndarray) -> np.ndarray:
        """``P(H > x)`` for the hold time ``H`` (travel + on scene)."""
        x = np.asarray(x_minutes, dtype=float) - self.travel_minutes
        out = np.ones_like(x)
        pos = x > 0
        if self.distribution == "exponential":
            out[pos] = np.exp(-x[pos] / self.mean_minutes)
        elif self.distribution == "deterministic":
            out[pos] = (x[pos] < self.mean_minutes).astype(float)
        else:
            from scipy.special import erfc

            mu, sigma = self._lognormal_params()
            out[pos] = 0.5 * erfc((np.log(x[pos]) - mu) / (sigma * math.sqrt(2.0)))
        return out

    def minute_kernel(self, substeps: int = 8) -> np.ndarray:
        """``w[k] = ∫_k^{k+1} P(H > x) dx`` folded onto one week (length :data:`WEEK_MIN`).

        Its sum is the mean hold time (up to the tail beyond four weeks, which is dropped).
        """
        n = 4 * WEEK_MIN
        x = (np.arange(n * substeps) + 0.5) / substeps
        w = self.survival(x).reshape(n, substeps).mean(axis=1)
        return w.reshape(4, WEEK_MIN).sum(axis=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` hold times in minutes (travel included)."""
        if self.distribution == "exponential":
            x = rng.exponential(self.mean_minutes, n)
        elif self.distribution == "deterministic":
            x = np.full(n, float(self.mean_minutes))
        else:
            mu, sigma = self._lognormal_params()
            x = rng.lognormal(mu, sigma, n)
        return x + self.travel_minutes


@dataclass
class HourlyDemand:
    """Arrivals by hour of the week and the hours the program is in service.

    Attributes
    ----------
    arrivals_per_week
        Mean eligible calls (by type and area) arriving in each of the 168 hours of a week
        (Mon 00:00 = hour 0, local time) — equally, the arrival rate per hour in that hour.
    service_hours
        True in the hours the program is in service (its hours in force, or an override).
    program
        Program code, e.g. ``CRT``.
    source
        Where the numbers come from (file, period, scaling), for reports.
    calls
        Eligible calls counted in the data (before any scaling).
    weeks
        Length of the data period in weeks.
    """

    arrivals_per_week: np.ndarray
    service_hours: np.ndarray
    program: str = ""
    source: str = ""
    calls: int = 0
    weeks: float = 0.0
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        lam = np.asarray(self.arrivals_per_week, dtype=float)
        mask = np.asarray(self.service_hours, dtype=bool)
        if lam.shape != (HOURS,) or mask.shape != (HOURS,):
            raise InputError(
                f"hour-of-week arrays must have 168 values, got {lam.shape} and {mask.shape}"
            )
        if np.any(lam < 0) or not np.all(np.isfinite(lam)):
            raise InputError("arrivals per hour must be finite and >= 0")
        self.arrivals_per_week = lam
        self.service_hours = mask

    @property
    def calls_per_year(self) -> float:
        """Eligible calls a year in all hours (arrivals per week × 52.18)."""
        return float(self.arrivals_per_week.sum() * WEEKS_PER_YEAR)

    def with_service_hours(self, mask: np.ndarray, note: str = "") -> HourlyDemand:
        """The same arrivals with other service hours (e.g. 24/7)."""
        return HourlyDemand(
            self.arrivals_per_week.copy(),
            np.asarray(mask, dtype=bool),
            self.program,
            self.source,
            self.calls,
            self.weeks,
            [*self.notes, note] if note else list(self.notes),
        )

    def scaled_to(self, calls_per_year: float) -> HourlyDemand:
        """The same hour-of-week profile scaled to ``calls_per_year`` eligible calls (all hours).

        Raises
        ------
        InputError
            When the volume is not positive or the profile is empty.
        """
        if not (math.isfinite(calls_per_year) and calls_per_year > 0):
            raise InputError(f"--scale-to {calls_per_year!r}: calls per year must be > 0")
        now = self.calls_per_year
        if now <= 0:
            raise InputError("cannot scale an empty demand profile (no eligible calls)")
        factor = calls_per_year / now
        out = self.with_service_hours(
            self.service_hours,
            f"scaled ×{factor:.3g} from {now:,.0f} to {calls_per_year:,.0f} eligible calls/year",
        )
        out.arrivals_per_week = self.arrivals_per_week * factor
        return out


def teams_array(teams, service_hours: np.ndarray | None = None) -> np.ndarray:
    """168 integer team counts from a scalar (placed in ``service_hours``) or a 168 array.

    Raises
    ------
    InputError
        On a negative count or a wrong length.
    """
    if np.ndim(teams) == 0:
        n = int(teams)
        if n < 0 or n != teams:
            raise InputError(f"--teams {teams!r}: must be a whole number >= 0")
        mask = np.ones(HOURS, bool) if service_hours is None else np.asarray(service_hours, bool)
        return np.where(mask, n, 0).astype(np.int64)
    arr = np.asarray(teams)
    if arr.shape != (HOURS,):
        raise InputError(f"teams by hour must have 168 values, got shape {arr.shape}")
    if np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise InputError(f"teams by hour must be whole numbers >= 0, got {arr.min()!r}")
    return arr.astype(np.int64)


def offered_mask(demand: HourlyDemand, teams: np.ndarray) -> np.ndarray:
    """Hours whose arrivals are offered to the teams: in service hours and at least one team."""
    return demand.service_hours & (np.asarray(teams) > 0)


def mol_load_by_minute(
    arrivals_per_hour: np.ndarray, service: ServiceTime, mask: np.ndarray
) -> np.ndarray:
    """Modified offered load (Erlangs) for each minute of the week.

    Parameters
    ----------
    arrivals_per_hour
        168 arrival rates (calls per hour).
    service
        The hold-time distribution.
    mask
        168 booleans: the hours whose arrivals are offered.
    """
    lam_min = np.repeat(np.where(mask, arrivals_per_hour, 0.0) / 60.0, 60)
    m = np.fft.irfft(np.fft.rfft(lam_min) * _kernel_spectrum(service), n=WEEK_MIN)
    return np.maximum(m, 0.0)


@functools.lru_cache(maxsize=64)
def _kernel_spectrum(service: ServiceTime) -> np.ndarray:
    """``rfft`` of :meth:`ServiceTime.minute_kernel` (read-only), memoised per hold-time model:
    a report evaluates a dozen plans with one model, and each kernel took ~15 ms."""
    out = np.fft.rfft(service.minute_kernel())
    out.flags.writeable = False
    return out


@dataclass
class MolResult:
    """The analytic answer for one staffing plan.

    Attributes
    ----------
    answered_share
        Share of the calls in service hours that find a free team.
    answered_share_all_hours
        Share of all eligible calls of the week (hours out of service answer zero).
    answered_by_hour
        168 answered shares (NaN in hours with no arrivals; 0 where no call is offered).
    load_by_hour
        168 mean offered loads (Erlangs).
    answered_calls_per_week, calls_in_service_per_week, calls_per_week
        Weekly totals.
    """

    answered_share: float
    answered_share_all_hours: float
    answered_by_hour: np.ndarray
    load_by_hour: np.ndarray
    answered_calls_per_week: float
    calls_in_service_per_week: float
    calls_per_week: float

    @classmethod
    def from_hours(
        cls, demand: HourlyDemand, ok: np.ndarray, load_by_minute: np.ndarray
    ) -> MolResult:
        """Totals and shares from the answered share ``ok`` of each hour (0 where not offered)."""
        lam = demand.arrivals_per_week
        answered = lam * ok
        in_service = float(lam[demand.service_hours].sum())
        total = float(lam.sum())
        return cls(
            answered_share=float(answered.sum() / in_service) if in_service > 0 else float("nan"),
            answered_share_all_hours=float(answered.sum() / total) if total > 0 else float("nan"),
            answered_by_hour=np.where(lam > 0, ok, np.nan),
            load_by_hour=load_by_minute.reshape(HOURS, 60).mean(axis=1),
            answered_calls_per_week=float(answered.sum()),
            calls_in_service_per_week=in_service,
            calls_per_week=total,
        )


def evaluate_mol(demand: HourlyDemand, teams, service: ServiceTime) -> MolResult:
    """Answered share by the Erlang-B/MOL model for ``teams`` (scalar or 168 array).

    Parameters
    ----------
    demand
        Arrivals by hour of the week and service hours.
    teams
        Teams on duty: a number (placed in the service hours) or 168 counts.
    service
        Hold-time distribution.

    Returns
    -------
    MolResult
    """
    s = teams_array(teams, demand.service_hours)
    mask = offered_mask(demand, s)
    lam = demand.arrivals_per_week
    m = mol_load_by_minute(lam, service, mask)
    b = erlang_b(np.repeat(s, 60), m).reshape(HOURS, 60).mean(axis=1)
    return MolResult.from_hours(demand, np.where(mask, 1.0 - b, 0.0), m)
