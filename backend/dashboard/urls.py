from django.urls import path

from .views import alerts, auth, care_teams, cohort, enrolment, exports, patients, plans, supply

app_name = "dashboard"

urlpatterns = [
    path("", alerts.alert_queue_page, name="alert-queue"),
    path("home/", auth.home, name="home"),
    path("sign-in/", auth.StaffSignInView.as_view(), name="login"),
    path("sign-in/code/", auth.sign_in_code, name="sign-in-code"),
    path("sign-in/enrol/", auth.sign_in_enrol, name="sign-in-enrol"),
    path("sign-out/", auth.StaffSignOutView.as_view(), name="logout"),
    path("alerts/rows/", alerts.alert_queue_rows, name="alert-queue-rows"),
    path(
        "alerts/<uuid:alert_id>/acknowledge/",
        alerts.alert_acknowledge,
        name="alert-acknowledge",
    ),
    path("alerts/<uuid:alert_id>/", alerts.alert_detail_page, name="alert-detail"),
    path("alerts/<uuid:alert_id>/resolve/", alerts.alert_resolve, name="alert-resolve"),
    path(
        "alerts/<uuid:alert_id>/ask-to-call/",
        alerts.alert_ask_to_call,
        name="alert-ask-to-call",
    ),
    path("patients/new/", enrolment.patient_enrol_page, name="patient-enrol"),
    path("patients/<uuid:patient_id>/", patients.patient_detail, name="patient"),
    path(
        "patients/<uuid:patient_id>/invitation/",
        enrolment.patient_invitation_new,
        name="patient-invitation",
    ),
    path(
        "patients/<uuid:patient_id>/invitation/confirm/",
        enrolment.patient_invitation_confirm,
        name="patient-invitation-confirm",
    ),
    path(
        "patients/<uuid:patient_id>/grades/",
        patients.clinician_grade_record,
        name="clinician-grade",
    ),
    path(
        "patients/<uuid:patient_id>/grades/fields/",
        patients.clinician_grade_fields,
        name="clinician-grade-fields",
    ),
    path(
        "patients/<uuid:patient_id>/weights/",
        patients.weight_record_view,
        name="weight-record",
    ),
    path(
        "patients/<uuid:patient_id>/labs/",
        patients.lab_results_record_view,
        name="lab-results-record",
    ),
    path("patients/<uuid:patient_id>/supply/", supply.supply_record_view, name="supply-record"),
    path("patients/<uuid:patient_id>/plan/new/", plans.plan_new, name="plan-new"),
    path(
        "patients/<uuid:patient_id>/plan/recommendation/",
        plans.plan_recommendation,
        name="plan-recommendation",
    ),
    path("patients/<uuid:patient_id>/plan/dose/", plans.plan_dose, name="plan-dose"),
    path("patients/<uuid:patient_id>/plan/hold/", plans.plan_hold, name="plan-hold"),
    path(
        "patients/<uuid:patient_id>/plan/holds/<int:hold_id>/resume/",
        plans.plan_resume,
        name="plan-resume",
    ),
    path("patients/<uuid:patient_id>/plan/stop/", plans.plan_stop, name="plan-stop"),
    path("cohort/", cohort.cohort_page, name="cohort"),
    path("care-teams/", care_teams.care_team_list, name="care-teams"),
    path(
        "care-teams/<int:care_team_id>/contact/",
        care_teams.care_team_contact,
        name="care-team-contact",
    ),
    path("exports/", exports.export_jobs, name="export-jobs"),
]
