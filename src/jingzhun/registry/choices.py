"""Code lists of the national system (domain.md §1.2, §1.3, §4.1, §4.4).

Each choice's value is the code the national system uses where one is known, and its label the Chinese
term shown on forms and templates, so imports accept either the code or the label.
"""

from django.db import models


class Attribute(models.TextChoices):
    """贫困户属性 (aac006)."""

    GENERAL_POOR = "01", "一般贫困户"
    DIBAO_EXITED = "02", "低保脱贫户"
    TEKUN_EXITED = "03", "特困供养脱贫户"
    DIBAO_POOR = "04", "低保贫困户"
    GENERAL_EXITED = "05", "一般脱贫户"
    TEKUN_POOR = "06", "特困供养贫困户"
    DIBAO_TEKUN_POOR = "07", "低保特困供养贫困户"
    DIBAO_TEKUN = "08", "低保特困供养户"
    ORDINARY = "99", "一般农户"


class PovertyStatus(models.TextChoices):
    """脱贫状态 / 脱贫标志 (aar010). Blank for households never registered as poor."""

    NOT_EXITED = "0", "未脱贫"
    EXITED_ENJOYING = "1", "已脱贫(享受政策)"
    RETURNED = "3", "返贫"
    EXITED_NOT_ENJOYING = "4", "已脱贫(不再享受政策)"


class MonitoringType(models.TextChoices):
    """易返贫致贫户(监测对象)类型 (domain.md §4.1)."""

    UNSTABLE_EXITED = "1", "脱贫不稳定户"
    MARGINAL = "2", "边缘易致贫户"
    SUDDEN_HARDSHIP = "3", "突发严重困难户"


class RiskElimination(models.TextChoices):
    """风险是否消除 and how (domain.md §4.7)."""

    NOT_ELIMINATED = "0", "风险未消除"
    BY_ASSISTANCE = "1", "帮扶消除"
    NATURAL = "2", "自然消除"


class IdentificationStandard(models.TextChoices):
    """识别标准 (domain.md §1.1)."""

    NATIONAL = "1", "国家标准"
    PROVINCIAL = "2", "省定标准"
    CITY = "3", "市定标准"


class Cause(models.TextChoices):
    """主要/其他致贫原因 (aac007, aac008)."""

    ILLNESS = "1", "因病"
    DISABILITY = "2", "因残"
    SCHOOLING = "3", "因学"
    DISASTER = "4", "因灾"
    LACK_LAND = "5", "缺土地"
    LACK_WATER = "6", "缺水"
    LACK_SKILLS = "7", "缺技术"
    LACK_LABOUR = "8", "缺劳力"
    LACK_FUNDS = "9", "缺资金"
    POOR_TRANSPORT = "10", "交通条件落后"
    LACK_MOTIVATION = "11", "自身发展动力不足"
    MARRIAGE = "12", "因婚"
    FUNERAL = "13", "因丧"


class RiskType(models.TextChoices):
    """致贫/返贫风险 (domain.md §4.4, code table 100A27)."""

    ILLNESS = "1", "因病"
    SCHOOLING = "2", "因学"
    DISABILITY = "3", "因残"
    DISASTER = "4", "因自然灾害"
    ACCIDENT = "5", "因意外事故"
    INDUSTRY_FAILURE = "6", "因产业项目失败"
    UNSTABLE_WORK = "7", "因务工就业不稳"
    LACK_LABOUR = "8", "缺劳动力"
    HOUSING = "9", "因安全住房"
    WATER = "10", "因安全饮水"
    OTHER = "99", "其他"


class HousingGrade(models.TextChoices):
    """农村危房鉴定等级 (domain.md §1.5): C and D count as unsafe housing."""

    A = "A", "A级"
    B = "B", "B级"
    C = "C", "C级（局部危房）"
    D = "D", "D级（整幢危房）"


class RoadType(models.TextChoices):
    """入户路类型 (aac316)."""

    DIRT = "1", "泥土路"
    GRAVEL = "2", "砂石路"
    CEMENT = "3", "水泥路"
    ASPHALT = "4", "沥青路"


class FuelType(models.TextChoices):
    """主要燃料类型 (aac320)."""

    FIREWOOD = "1", "柴草"
    DUNG = "2", "干畜粪"
    COAL = "3", "煤炭"
    CLEAN = "4", "清洁能源"
    OTHER = "9", "其它"


class Sex(models.TextChoices):
    """GB/T 2261.1."""

    MALE = "1", "男"
    FEMALE = "2", "女"


class Relation(models.TextChoices):
    """与户主关系 (aab006; GB/T 4761 codes)."""

    HEAD = "02", "户主"
    SPOUSE = "10", "配偶"
    SON = "20", "之子"
    DAUGHTER = "30", "之女"
    DAUGHTER_IN_LAW = "41", "之儿媳"
    SON_IN_LAW = "42", "之女婿"
    GRANDSON = "51", "之孙子"
    GRANDDAUGHTER = "52", "之孙女"
    FATHER = "61", "之父"
    MOTHER = "62", "之母"
    GRANDFATHER = "71", "之祖父"
    GRANDMOTHER = "72", "之祖母"
    SIBLING = "80", "之兄弟姐妹"
    OTHER = "99", "其他"


ETHNIC_NAMES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 "
    "仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()

Ethnicity = models.TextChoices(  # type: ignore[misc]
    "Ethnicity",
    [(f"E{i:02d}", (f"{i:02d}", name)) for i, name in enumerate(ETHNIC_NAMES, start=1)]
    + [("E97", ("97", "其他")), ("E98", ("98", "外国血统中国籍人士"))],
)
Ethnicity.__doc__ = "民族 (aab007, GB 3304)."


class PoliticalStatus(models.TextChoices):
    """政治面貌 (aak033, GB/T 4762)."""

    CPC = "01", "中共党员"
    CPC_PROBATIONARY = "02", "中共预备党员"
    LEAGUE = "03", "共青团员"
    OTHER_PARTY = "04", "民主党派"
    MASSES = "13", "群众"


class Education(models.TextChoices):
    """文化程度 (aab008, table 100A11)."""

    ILLITERATE = "1", "文盲或半文盲"
    PRIMARY = "2", "小学"
    JUNIOR = "3", "初中"
    SENIOR = "4", "高中"
    COLLEGE = "5", "大专"
    BACHELOR = "6", "本科及以上"
    PRESCHOOL = "9", "学龄前儿童"


class Schooling(models.TextChoices):
    """在校生状况 (aab009, table 100A12)."""

    NOT_STUDENT = "0", "非在校生"
    PRESCHOOL = "1", "学前教育"
    PRIMARY = "2", "小学"
    JUNIOR = "3", "初中"
    SENIOR = "4", "高中"
    VOCATIONAL_SECONDARY = "5", "中职"
    VOCATIONAL_COLLEGE = "6", "高职"
    UNDERGRADUATE = "7", "大专及以上"
    DROPOUT = "8", "失学或辍学"


class Health(models.TextChoices):
    """健康状况 (aab017, multi-select, table 100A13)."""

    HEALTHY = "1", "健康"
    CHRONIC = "2", "长期慢性病"
    SERIOUS = "3", "患有大病"
    DISABLED = "4", "残疾"


class LabourSkill(models.TextChoices):
    """劳动技能 (aab010, table 100A14)."""

    ORDINARY = "1", "普通劳动力"
    SKILLED = "2", "技能劳动力"
    WEAK = "3", "弱劳动力或半劳动力"
    LOST = "4", "丧失劳动力"
    NONE = "5", "无劳动力"


class DisabilityCategory(models.TextChoices):
    """残疾类别 (second-generation certificate digit 19)."""

    VISION = "1", "视力残疾"
    HEARING = "2", "听力残疾"
    SPEECH = "3", "言语残疾"
    PHYSICAL = "4", "肢体残疾"
    INTELLECTUAL = "5", "智力残疾"
    MENTAL = "6", "精神残疾"
    MULTIPLE = "7", "多重残疾"


class DisabilityGrade(models.TextChoices):
    ONE = "1", "一级"
    TWO = "2", "二级"
    THREE = "3", "三级"
    FOUR = "4", "四级"


class IdKind(models.TextChoices):
    RESIDENT_ID = "resident_id", "居民身份证"
    DISABILITY_CERT = "disability_cert", "残疾人证"


class LeaveReason(models.TextChoices):
    """Why a member left the household (自然变更, domain.md §2.5)."""

    DEATH = "death", "死亡"
    MARRIAGE_OUT = "marriage", "婚出"
    SPLIT = "split", "分户"
    MOVED = "moved", "迁出"
    PUBLIC_JOB = "public_job", "考入公职/参军"
    REMOVED = "removed", "核减（错误纳入）"
    OTHER = "other", "其他"
