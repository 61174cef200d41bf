from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "jingzhun.assessment"
    label = "assessment"
    verbose_name = "第三方评估抽样调查"
