"""The organisation part of the demo company: a medical-device distributor."""

from __future__ import annotations

from datetime import timedelta

from salesflow.core.demo import DemoContext, demo_part
from salesflow.org import services
from salesflow.org.choices import Role, TeamKind
from salesflow.org.models import Team, User

COMPANY = "华瑞医疗科技有限公司"
REGIONS = [
    ("华东大区", ["上海一组", "杭州组"]),
    ("华南大区", ["广州组", "深圳组"]),
    ("华北大区", ["北京组", "天津组"]),
]
SUPPORT_TEAMS = [
    ("售前技术部", Role.PRESALES, 3),
    ("法务部", Role.LEGAL, 1),
    ("财务部", Role.FINANCE, 1),
    ("交付部", Role.DELIVERY, 1),
]
# Codes of the default rule pack's dictionaries (关节类/脊柱类/创伤类/运动医学; 三甲/二甲/民营).
PRODUCT_LINES = ["joint", "spine", "trauma", "sports"]
CUSTOMER_TIERS = ["tier3a", "tier2a", "private"]


@demo_part(order=10, label="组织架构")
def generate_org(ctx: DemoContext) -> None:
    """Company → 3 regions → 6 teams, leaders, reps, support staff, leave and a few changes."""
    fake, rng = ctx.faker, ctx.rng
    founded = ctx.now - timedelta(days=30 * ctx.months + 30)

    def person(username: str, role: Role, team: Team, manager: User | None, **extra: object) -> User:
        ctx.count("users")
        return services.user_create(
            username=username,
            display_name=fake.name(),
            role=role,
            team=team,
            manager=manager,
            phone=fake.phone_number(),
            email=f"{username}@huarui-med.example.cn",
            password_hash=ctx.password_hash,
            actor=ctx.made.get("admin"),
            now=founded,
            **extra,  # type: ignore[arg-type]
        )

    company = services.team_create(name=COMPANY, kind=TeamKind.COMPANY, parent=None, actor=None, now=founded)
    ctx.count("teams")
    admin = person("admin", Role.OPS_ADMIN, company, None, is_superuser=True)
    ctx.made["admin"] = admin
    gm = person("gm", Role.GM, company, None)
    coo = person("coo", Role.COO, company, gm)
    services.user_update(user=admin, actor=admin, manager=coo, now=founded)

    for name, role, count in SUPPORT_TEAMS:
        team = services.team_create(name=name, kind=TeamKind.TEAM, parent=company, actor=admin, now=founded)
        ctx.count("teams")
        for i in range(1, count + 1):
            person(f"{role.value}{i}", role, team, coo)

    teams: list[tuple[Team, User]] = []
    manager_no = 0
    for region_no, (region_name, team_names) in enumerate(REGIONS, start=1):
        region = services.team_create(
            name=region_name, kind=TeamKind.REGION, parent=company, actor=admin, now=founded
        )
        ctx.count("teams")
        director = person(f"director{region_no}", Role.DIRECTOR, region, gm, seniority=5)
        for team_name in team_names:
            manager_no += 1
            team = services.team_create(
                name=team_name, kind=TeamKind.TEAM, parent=region, actor=admin, now=founded
            )
            ctx.count("teams")
            manager = person(f"manager{manager_no}", Role.MANAGER, team, director, seniority=4)
            teams.append((team, manager))

    per_team = -(-ctx.reps // len(teams))
    reps: list[User] = []
    for n in range(1, ctx.reps + 1):
        team, manager = teams[min((n - 1) // per_team, len(teams) - 1)]
        rep = person(
            f"rep{n}",
            Role.REP,
            team,
            manager,
            seniority=rng.choice([1, 1, 2, 2, 3, 3, 4, 5]),
            max_open_workload=rng.choice([20, 25, 30, 30, 35, 40]),
            product_lines=sorted(rng.sample(PRODUCT_LINES, rng.randint(1, 3))),
            customer_tiers=sorted(rng.sample(CUSTOMER_TIERS, rng.randint(1, 3))),
        )
        reps.append(rep)
    ctx.made["reps"] = reps
    ctx.made["managers"] = [m for _, m in teams]

    # A little real history: promotions mid-period, leave around today.
    for rep in rng.sample(reps, max(1, len(reps) // 8)):
        when = founded + timedelta(days=rng.randint(20, 30 * ctx.months))
        services.user_update(
            user=rep,
            actor=rep.manager,
            now=when,
            seniority=min(5, rep.seniority + 1),
            max_open_workload=rep.max_open_workload + 5,
        )
        ctx.count("profile_changes")
    today = ctx.now.date()
    for rep in rng.sample(reps, max(1, len(reps) // 16)):
        start = today + timedelta(days=rng.randint(-3, 10))
        services.leave_add(
            user=rep,
            starts_on=start,
            ends_on=start + timedelta(days=rng.randint(1, 5)),
            reason=rng.choice(["年假", "病假", "事假", "培训"]),
            actor=rep.manager,
            now=ctx.now,
        )
        ctx.count("leave_periods")
