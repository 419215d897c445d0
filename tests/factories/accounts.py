import factory

from backend.accounts.models import CareTeam, CareTeamMembership, Patient, User

TEST_PASSWORD = "correct-horse-battery-staple"


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeam
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Care team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = "patient"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    role = "nurse"

    @factory.post_generation
    def care_teams(self, create: bool, extracted: object, **kwargs: object) -> None:
        for team in extracted or []:  # type: ignore[attr-defined]
            CareTeamMembership.objects.create(care_team=team, user=self)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    care_team = factory.SubFactory(CareTeamFactory)
    display_name = factory.Sequence(lambda n: f"Patient {n}")
    medical_record_number = factory.Sequence(lambda n: f"MRN-{n:05d}")
    time_zone = "Europe/Madrid"
    language = "en"


def activated_patient(**kwargs: object) -> Patient:
    """A patient who has an account (as after activation)."""
    user = UserFactory(role="patient")
    return PatientFactory(user=user, **kwargs)
