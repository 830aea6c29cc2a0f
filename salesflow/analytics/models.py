"""What the cockpit compares results against: the signed-amount target of a team or a person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SalesTarget(models.Model):
    """The signed amount (¥) a team node (company, region, team) or one person should reach in a
    calendar month. Exactly one of `team` and `person` is set; `month` is the month's first day."""

    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="sales_targets"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    month = models.DateField(_("月份"))
    amount = models.DecimalField(_("目标签约额"), max_digits=16, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("销售目标")
        verbose_name_plural = _("销售目标")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(team__isnull=False, person__isnull=True)
                    | models.Q(team__isnull=True, person__isnull=False)
                ),
                name="sales_target_one_scope",
            ),
            models.UniqueConstraint(fields=["team", "month"], name="sales_target_team_month"),
            models.UniqueConstraint(fields=["person", "month"], name="sales_target_person_month"),
        ]

    def __str__(self) -> str:
        return f"{self.team or self.person} {self.month:%Y-%m}: {self.amount}"


class AcquisitionSpend(models.Model):
    """What the company spent acquiring leads from one source (the pack's `lead_source`
    dictionary) in one calendar month, entered or imported by the ops admin. Customer
    acquisition cost (获客成本) divides it by the leads of that source converted in the month."""

    source = models.CharField(_("线索来源"), max_length=60)
    month = models.DateField(_("月份"))
    amount = models.DecimalField(_("获客投入"), max_digits=16, decimal_places=2)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("获客投入")
        verbose_name_plural = _("获客投入")
        ordering = ["-month", "source"]
        constraints = [
            models.UniqueConstraint(fields=["source", "month"], name="acquisition_spend_source_month")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.month:%Y-%m}: {self.amount}"


class HealthAlert(models.Model):
    """One breach of a process-health indicator (过程健康度) by a team that lasted the pack's
    `alert_after` window. The row is the alert: it is created (and the manager and director
    told) exactly once per breach, keyed by the breach's first day; `recovered_on` closes it so
    a later breach starts a new row and alerts again."""

    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="health_alerts")
    indicator = models.CharField(_("指标"), max_length=60)
    breach_started_on = models.DateField(_("开始超标日期"))
    breach_last_on = models.DateField(_("最近超标日期"))
    value = models.DecimalField(_("最近数值"), max_digits=14, decimal_places=2, null=True, blank=True)
    fired_at = models.DateTimeField(_("预警时间"))
    recovered_on = models.DateField(_("恢复日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("健康度预警")
        verbose_name_plural = _("健康度预警")
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "indicator", "breach_started_on"], name="health_alert_once_per_breach"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.indicator} {self.breach_started_on}"


class HealthSeries(models.Model):
    """A team's daily values of one process-health indicator as the daily check computed them.

    The check evaluates every team over the pack's trend length anyway; keeping what it read
    lets the health page answer from one small row per team and indicator instead of re-reading
    the activity, lead and evidence history. A row stands only for the days, members and pack
    version it records: the page recomputes live whatever does not match (a new member, a pack
    edit, a day that has turned)."""

    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(max_length=60)
    first_day = models.DateField()
    last_day = models.DateField()
    members_key = models.CharField(max_length=64)
    pack_version = models.PositiveIntegerField()
    values = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "indicator"], name="health_series_per_team_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.indicator} {self.first_day}–{self.last_day}"


class DigestSent(models.Model):
    """The weekly digest (每周简报) went to `manager` for the week starting `week` (a Monday):
    the unique row makes it once per manager per week however often the job runs."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["manager", "week"], name="digest_once_per_week")]

    def __str__(self) -> str:
        return f"{self.manager} {self.week}"


class ForecastSignal(models.Model):
    """An external signal (外部信号) the ops admin entered, e.g. “集采政策公布” or a raw-material
    price move: the forecast multiplies the win odds of open opportunities of `product_line`
    (a code of the pack's `product_line` dictionary) whose expected close falls between
    `starts_on` and `ends_on` (both inclusive) by `multiplier`."""

    title = models.CharField(_("信号"), max_length=100)
    product_line = models.CharField(_("产品线"), max_length=60)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    multiplier = models.DecimalField(_("赢率倍数"), max_digits=5, decimal_places=2)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("外部信号")
        verbose_name_plural = _("外部信号")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="forecast_signal_range"
            ),
            models.CheckConstraint(
                condition=models.Q(multiplier__gt=0), name="forecast_signal_multiplier_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.product_line} {self.starts_on}–{self.ends_on}"


class PaceAlert(models.Model):
    """The pace alert (推进速度预警) of one team node (a director's region, or the company's
    root for the GM) for the week starting `week` (a Monday): the unique row makes it once per
    node and week, however often the job runs."""

    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    entries_this_week = models.PositiveIntegerField()
    entries_last_week = models.PositiveIntegerField()
    gap = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    message = models.CharField(max_length=300)
    fired_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "week"], name="pace_alert_once_per_week")]

    def __str__(self) -> str:
        return f"{self.team} {self.week}"


class RollupState(models.Model):
    """How far one roll-up has taken in the event log: the last event read, when the rows were
    last brought up to date (what the pages show as 数据截至) and when they were last rebuilt."""

    name = models.CharField(max_length=60, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField()
    rebuilt_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.refreshed_at:%Y-%m-%d %H:%M}"


class StageEntryDay(models.Model):
    """Stage entries per local day: how many stays of `pipeline` entered `stage` on `day` for
    opportunities now owned by `owner`, split by whether the opportunity went on to a later stage
    (`advanced`) and by the local day of its previous entry into the same stage (`previous_day`,
    null for a first entry).

    The cockpit counts distinct opportunities per stage over a period; a stay counts when it is
    the opportunity's first entry into that stage within the period, i.e. its `previous_day` is
    null or before the period's start. An opportunity advanced from a stage in the period exactly
    when that first stay advanced (a later stage after a later entry is also after the first), so
    both counts are sums over these rows — for any period, with the live query's answer."""

    pipeline = models.CharField(max_length=60)
    day = models.DateField()
    stage = models.CharField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    previous_day = models.DateField(null=True, blank=True)
    advanced = models.BooleanField()
    stays = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["pipeline", "day"], name="stageentryday_pipeline_day")]

    def __str__(self) -> str:
        return f"{self.pipeline}/{self.stage} {self.day}: {self.stays}"


class StageEntryMonth(models.Model):
    """Stage entries per local calendar month, derived from `StageEntryDay`: distinct opportunities
    of `pipeline` now owned by `owner` that entered `stage` in `month` (its first day) and how
    many of them went on to a later stage. What the attribution board's conversion spread and a
    one-month cockpit read; refreshed with the days it is made of."""

    pipeline = models.CharField(max_length=60)
    month = models.DateField()
    stage = models.CharField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    entered = models.PositiveIntegerField()
    advanced = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["pipeline", "month"], name="stageentrymonth_pipeline_month")]

    def __str__(self) -> str:
        return f"{self.pipeline}/{self.stage} {self.month:%Y-%m}: {self.advanced}/{self.entered}"


class ActionDay(models.Model):
    """Evidence-backed actions per local day for the process heatmap: effective activities and
    evidence on opportunities of `pipeline` now owned by `owner`, by the stage the opportunity
    was in when the action happened. Sums, so any period and week add up from the days."""

    pipeline = models.CharField(max_length=60)
    day = models.DateField()
    stage = models.CharField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actions = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["pipeline", "day"], name="actionday_pipeline_day")]

    def __str__(self) -> str:
        return f"{self.pipeline}/{self.stage} {self.day}: {self.actions}"


class DwellDay(models.Model):
    """Completed stays per local day of their end: how many stays of `pipeline` left `stage` on
    `day` after `tenths` tenths of a day (their length rounded to one decimal, as the cockpit
    shows it) for opportunities now owned by `owner`.

    The dwell distribution shows nearest-rank percentiles to one decimal. Rounding is monotonic,
    so the stay at a nearest rank rounds to the value at that rank among the rounded lengths:
    percentiles read from these counts equal the live ones exactly, for any period of days."""

    pipeline = models.CharField(max_length=60)
    day = models.DateField()
    stage = models.CharField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tenths = models.IntegerField()
    stays = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["pipeline", "day"], name="dwellday_pipeline_day")]

    def __str__(self) -> str:
        return f"{self.pipeline}/{self.stage} {self.day}: {self.stays} × {self.tenths / 10}"


class CompletenessSnapshot(models.Model):
    """资料完整率 of one owner's records of one kind (lead, customer, opportunity) as of the last
    roll-up refresh: how many they own and how many have every required field filled. Data
    quality is a state, so the whole table is recomputed each refresh (three grouped scans)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    subject = models.CharField(max_length=30)
    total = models.PositiveIntegerField()
    complete = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["owner"], name="completeness_snapshot_owner")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.subject}: {self.complete}/{self.total}"


class CustomerPeople(models.Model):
    """How many people ever acted on a customer — the owners of its opportunities, anyone who
    logged an activity on it or its opportunities, anyone who uploaded evidence for them,
    each counted once. Collaboration density (协作密度) averages these over the won customers;
    the roll-up job recounts a customer when an event names it, one of its opportunities or
    visits, or a lead whose activities it took over. A customer nobody acted on has no row."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    people = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.people}"
