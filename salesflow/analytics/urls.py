from django.urls import path

from salesflow.analytics import views, views_battle

urlpatterns = [
    path("dashboards/", views.cockpit_page, name="cockpit"),
    path("dashboards/drill/", views.drill_page, name="cockpit-drill"),
    path("dashboards/drill/export.xlsx", views.drill_export, name="cockpit-drill-export"),
    # 今日战报
    path("battle/", views_battle.battle_page, name="battle"),
    path("battle/panels/", views_battle.battle_panels, name="battle-panels"),
    path("battle/links/", views_battle.tv_links_page, name="battle-links"),
    path("battle/links/<int:link_id>/revoke/", views_battle.tv_link_revoke, name="battle-link-revoke"),
    path("tv/<str:token>/", views_battle.tv_page, name="battle-tv"),
    path("tv/<str:token>/panels/", views_battle.tv_panels, name="battle-tv-panels"),
]
