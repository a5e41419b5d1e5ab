from django.urls import path

from review.boards import views

app_name = "boards"

urlpatterns = [
    path("duplicates/", views.group_list, name="group_list"),
    path("duplicates/<int:pk>/", views.group_detail, name="group_detail"),
    path("duplicates/<int:pk>/campaign/", views.campaign, name="campaign"),
    path("duplicates/<int:pk>/canonical/", views.group_canonical, name="group_canonical"),
    path("duplicates/<int:pk>/split/", views.group_split, name="group_split"),
    path("duplicates/<int:pk>/not-duplicate/", views.group_not_duplicate, name="group_not_duplicate"),
    path("themes/", views.theme_board, name="theme_board"),
    path("themes/recluster/", views.recluster_start, name="recluster_start"),
    path("themes/recluster/<uuid:task_id>/", views.recluster_progress, name="recluster_progress"),
    path("themes/<int:pk>/", views.theme_detail, name="theme_detail"),
    path("themes/<int:pk>/rename/", views.theme_rename, name="theme_rename"),
    path("themes/<int:pk>/merge/", views.theme_merge, name="theme_merge"),
    path("themes/<int:pk>/move/", views.theme_move, name="theme_move"),
    path("themes/<int:pk>/split/", views.theme_split, name="theme_split"),
    path("ideas/<int:pk>/", views.idea_detail, name="idea_detail"),
    path("ideas/<int:pk>/merge/", views.idea_merge, name="idea_merge"),
    path("ideas/<int:pk>/split/", views.idea_split, name="idea_split"),
    path("ideas/<int:pk>/move/", views.idea_move, name="idea_move"),
]
