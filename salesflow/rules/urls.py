from django.urls import path

from salesflow.rules import views

urlpatterns = [
    path("", views.rules_home, name="rules-home"),
    path("new/", views.rule_edit, name="rules-new"),
    path("r/<slug:code>/", views.rule_edit, name="rules-edit"),
    path("r/<slug:code>/toggle/", views.rule_toggle, name="rules-toggle"),
    path("r/<slug:code>/simulate/", views.simulate, name="rules-simulate-rule"),
    path("simulate/", views.simulate, name="rules-simulate"),
    path("policies/<slug:code>/", views.policy_edit, name="rules-policy"),
    path("versions/", views.versions, name="rules-versions"),
    path("versions/<int:number>/", views.version_detail, name="rules-version"),
    path("versions/<int:number>/activate/", views.version_activate, name="rules-version-activate"),
    path("export.yaml", views.export_yaml, name="rules-export"),
    path("import/", views.import_yaml, name="rules-import"),
]
