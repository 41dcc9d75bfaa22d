"""Documented sentence lists for the offline (mini) speech items: short everyday sentences (about
2-4 s when spoken) with no digits or abbreviations, so that WER/CER measure intelligibility, not
number normalisation. Chinese sentences are Simplified Chinese, no digits. Fixed lists: changing
them changes test sets, so bump the suites' versions when you do."""
from __future__ import annotations

EN_SENTENCES: tuple[str, ...] = (
    "The weather is lovely this morning.",
    "Please close the window before you leave.",
    "We walked along the river after dinner.",
    "My brother plays the guitar every evening.",
    "The train was late because of the snow.",
    "She opened the letter and smiled.",
    "Could you pass me the salt, please?",
    "The children are playing in the garden.",
    "I left my keys on the kitchen table.",
    "The museum opens early on Sunday.",
    "He painted the fence a bright green.",
    "Our neighbours have a friendly old dog.",
    "The coffee shop on the corner is closed.",
    "Turn left at the end of the street.",
    "The library is very quiet today.",
    "We need more bread and some fresh milk.",
    "The little boat drifted across the lake.",
    "Thank you for the wonderful present.",
    "The meeting will start in a few minutes.",
    "Birds were singing in the tall trees.",
    "Remember to water the plants tonight.",
    "The soup tastes better with a little pepper.",
    "They watched the sunset from the hill.",
    "Put your shoes by the front door.",
)

ZH_SENTENCES: tuple[str, ...] = (
    "今天的天气非常好。",
    "请在离开之前关上窗户。",
    "我们晚饭后在河边散步。",
    "我哥哥每天晚上弹吉他。",
    "火车因为下雪晚点了。",
    "她打开信以后笑了。",
    "请把盐递给我好吗？",
    "孩子们在花园里玩耍。",
    "我把钥匙忘在桌子上了。",
    "博物馆星期天很早开门。",
    "他把篱笆刷成了绿色。",
    "我们的邻居有一只友好的老狗。",
    "街角的咖啡店关门了。",
    "在街道尽头向左转。",
    "图书馆今天非常安静。",
    "我们需要面包和新鲜的牛奶。",
    "小船慢慢漂过了湖面。",
    "谢谢你送的精美礼物。",
    "会议几分钟后就开始。",
    "鸟儿在高高的树上唱歌。",
    "今晚记得给花浇水。",
    "汤里加一点胡椒更好喝。",
    "他们在山上看日落。",
    "请把鞋子放在门口。",
)

SENTENCES = {"en": EN_SENTENCES, "zh": ZH_SENTENCES}
