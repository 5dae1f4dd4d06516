"""Stopwords of the main Latin-script languages besides English: function words only.

stopwords-iso's lists for these languages hold hundreds of content words. Its Spanish list
(732 words) has "tiempo", "trabajo", "día", "hoy", "ayer", "momento", "verdad" and "estados"
(so neither "estados" nor "estados unidos" could ever trend); Italian has "anno", "vita",
"mondo", "città", "paese" and "volta"; Portuguese "trabalho", "tempo", "dia" and "ano";
German "zeit", "jahr" and "tag"; French "été" and "abord". A word that is a stopword can never
trend, alone or in a phrase, however hard it surges against its own history; a common word
that is not one only costs a keyword row, and trends only when it surges (its baseline is
its own history). So for these languages, as for English (`trendlake.stopwords_en`), the
stopwords are the closed classes: articles and determiners, pronouns and possessives,
prepositions and their contractions, conjunctions, the auxiliaries (to be, to have, "can",
and "to go" where it makes the future: English keeps "can" and "will" as stopwords too),
negation, and the most frequent adverbs, plus the chat spellings posts use for them ("q",
"pq", "vc", "tb"). Other languages keep stopwords-iso's lists.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "es": _words(
        """
        el la los las lo un una unos unas al del
        este esta estos estas esto ese esa esos esas eso aquel aquella aquellos aquellas
        aquello cada otro otra otros otras todo toda todos todas algún alguno alguna algunos
        algunas ningún ninguno ninguna mucho mucha muchos muchas poco poca pocos pocas tanto
        tanta tantos tantas varios varias mismo misma mismos mismas demás cualquier
        cualquiera ambos ambas algo nada alguien nadie tal
        yo tú tu usted ustedes él ella ello ellos ellas nosotros nosotras vosotros vosotras me
        te se nos os le les mí ti sí conmigo contigo consigo mi mis tus su sus nuestro nuestra
        nuestros nuestras vuestro vuestra vuestros vuestras mío mía míos mías tuyo tuya tuyos
        tuyas suyo suya suyos suyas
        que qué quien quién quienes quiénes cual cuál cuales cuáles cuyo cuya cuyos cuyas
        cuando cuándo donde dónde adonde adónde como cómo cuanto cuánto cuanta cuánta cuantos
        cuántos cuantas cuántas
        a ante bajo con contra de desde durante en entre hacia hasta mediante para por según
        sin sobre tras vía dentro fuera
        y e o u ni pero sino mas aunque porque pues si mientras entonces
        ser soy eres es somos sois son era eras éramos erais eran fui fuiste fue fuimos
        fuisteis fueron sea seas seamos seáis sean sido siendo será serás seremos serán sería
        serían
        estar estoy estás está estamos estáis están estaba estabas estábamos estaban estado
        estando estuvo estuvieron esté estés estemos estén estaría estarían
        haber he has ha hemos habéis han había habías habíamos habían hay habido habiendo
        hubo hubieron haya hayas hayamos hayan habrá habrán habría habrían hubiera
        tener tengo tienes tiene tenemos tenéis tienen tenía tenías teníamos tenían tuve tuvo
        tuvimos tuvieron tenido teniendo tenga tengas tengamos tengan tendrá tendría
        puedo puedes puede podemos pueden podía podían podría podrían voy vas va vamos van
        iba iban
        no sí ya muy más menos también tampoco aquí ahí allí allá acá así bien mal solo sólo
        aún aun todavía siempre nunca jamás ahora antes después luego casi tan
        q pq xq porq tb tmb
        """
    ),
    "pt": _words(
        """
        o a os as um uma uns umas ao aos à às do da dos das no na nos nas num numa nuns numas
        pelo pela pelos pelas dum duma neste nesta nestes nestas nisto nesse nessa nesses
        nessas nisso naquele naquela naqueles naquelas naquilo deste desta destes destas disto
        desse dessa desses dessas disso daquele daquela daqueles daquelas daquilo
        este esta estes estas isto esse essa esses essas isso aquele aquela aqueles aquelas
        aquilo cada outro outra outros outras todo toda todos todas tudo algum alguma alguns
        algumas nenhum nenhuma muito muita muitos muitas pouco pouca poucos poucas tanto tanta
        tantos tantas vários várias mesmo mesma mesmos mesmas ambos ambas qualquer quaisquer
        algo nada alguém ninguém tal
        eu tu você vocês ele ela eles elas nós vós me te se nos vos lhe lhes mim ti si comigo
        contigo conosco consigo meu minha meus minhas teu tua teus tuas seu sua seus suas
        nosso nossa nossos nossas vosso vossa vossos vossas dele dela deles delas
        que quê quem qual quais cujo cuja cujos cujas quando onde aonde como quanto quanta
        quantos quantas
        ante após até com contra de desde em entre para perante por sem sob sobre trás pra
        pro pros pras através durante dentro fora
        e ou nem mas porém porque pois se enquanto embora então logo
        ser sou és é somos são era eras éramos eram fui foi fomos foram seja sejam sido sendo
        será serão seria seriam
        estar estou está estás estamos estão estava estavam esteve estiveram esteja estejam
        estado estando
        ter tenho tens tem temos têm tinha tinham teve tiveram tenha tenham tido tendo terá
        teria
        haver há havia houve haja
        posso pode podemos podem podia podiam poderia poderiam vou vai vamos vão ia iam
        não sim já mais menos também tampouco aqui aí ali lá cá assim bem mal só ainda sempre
        nunca jamais agora antes depois quase tão
        q vc vcs pq tb tbm né
        """
    ),
    "fr": _words(
        """
        le la les l un une des du au aux de d ce cet cette ces ceci cela ça chaque autre
        autres tout toute tous toutes quelque quelques aucun aucune plusieurs même mêmes tel
        telle tels telles celui celle celles ceux chacun chacune certains certaines rien
        personne
        je j tu il elle on nous vous ils elles me m te t se s lui leur leurs y en moi toi soi
        eux mon ma mes ton ta tes son sa ses notre nos votre vos
        qui que qu quoi dont où lequel laquelle lesquels lesquelles quand comment combien
        pourquoi
        à après avant avec chez contre dans depuis derrière devant entre envers hors jusque
        jusqu malgré par parmi pendant pour sans sauf selon sous sur vers via
        et ou ni mais car donc or si comme puisque lorsque lorsqu quoique
        être suis es est sommes êtes sont était étais étions étiez étaient été étant sera
        serai seras serons serez seront serait seraient soit soient fut
        avoir ai as a avons avez ont avait avais avions aviez avaient eu ayant aura aurai
        auras aurons aurez auront aurait auraient ait aient
        peux peut pouvons pouvez peuvent pouvait pourrait pourraient vais vas va allons allez
        vont
        ne n pas non oui plus moins très trop aussi déjà encore toujours jamais ici là alors
        ainsi bien peu beaucoup tant cependant enfin toutefois
        qd pr ds
        """
    ),
    "it": _words(
        """
        il lo la i gli le l un uno una al allo alla ai agli alle all del dello della dei
        degli delle dell dal dallo dalla dai dagli dalle dall nel nello nella nei negli nelle
        nell sul sullo sulla sui sugli sulle sull col coi
        questo questa questi queste quello quella quelli quelle quel quei ogni altro altra
        altri altre tutto tutta tutti tutte alcuno alcuna alcuni alcune nessuno nessuna molto
        molta molti molte poco poca pochi poche tanto tanta tanti tante stesso stessa stessi
        stesse qualche qualsiasi qualcosa niente nulla qualcuno tale
        io tu lui lei esso essa noi voi loro essi esse mi ti si ci vi ne me te se ce ve li
        mio mia miei mie tuo tua tuoi tue suo sua suoi sue nostro nostra nostri nostre vostro
        vostra vostri vostre
        che chi cui quale quali quando dove come quanto quanta quanti quante perché
        a ad di da in con su per tra fra senza sopra sotto verso dopo prima durante contro
        presso
        e ed o od ma però né anche pure quindi poi mentre oppure
        essere sono sei è siamo siete era eri erano ero stato stata stati state essendo sarà
        saranno sarebbe sarebbero sia siano fu furono
        avere ho hai ha abbiamo avete hanno aveva avevo avevano avuto avendo avrà avrebbe
        abbia abbiano
        sto stai sta stiamo state stanno stava
        posso puoi può possiamo potete possono poteva potrebbe vado vai va andiamo vanno
        non sì già più meno anche ancora sempre mai qui qua lì là così bene male solo ora
        adesso troppo
        x cmq nn
        """
    ),
    "de": _words(
        """
        der die das den dem des ein eine einer eines einem einen kein keine keiner keines
        keinem keinen
        dieser diese dieses diesem diesen jener jene jenes jeder jede jedes jedem jeden alle
        allem allen aller alles beide manche mancher manches viel viele vielen wenig wenige
        einige etwas nichts jemand niemand dies dessen deren derer denen derselbe dieselbe
        dasselbe einander dabei dadurch dafür dagegen daher dahin danach daran darauf daraus
        darin darum darüber davon davor dazu deshalb deswegen
        ich du er sie es wir ihr mich dich sich uns euch mir dir ihm ihnen ihn man mein meine
        meinen meinem meiner meines dein deine deinen deinem deiner deines sein seine seinen
        seinem seiner seines ihre ihren ihrem ihrer ihres unser unsere unseren unserem
        unserer unseres euer eure euren eurem eurer
        wer was wen wem wessen welche welcher welches welchen welchem wo wie wann warum wohin
        woher womit dass daß
        an auf aus bei bis durch für gegen hinter in im ins am ans beim vom zum zur mit nach
        neben ohne seit über um unter von vor während wegen zu zwischen
        und oder aber denn sondern doch wenn als ob weil obwohl damit
        bin bist ist sind seid war warst waren wart gewesen wäre wären
        haben habe hast hat habt hatte hattest hatten gehabt hätte hätten
        werden werde wirst wird werdet wurde wurden worden würde würden
        kann kannst können könnt konnte konnten könnte muss musst müssen müsst musste müsste
        soll sollst sollen sollte sollten will willst wollen wollte darf dürfen mag möchte
        nicht auch noch schon nur sehr so ja nein hier da dort jetzt dann immer nie mal mehr
        weniger ganz gar eben halt wieder etwa also bereits erst einmal
        """
    ),
    "nl": _words(
        """
        de het een der des den 't
        dit dat deze die elk elke ieder iedere alle alles geen enkele enige sommige veel
        weinig meer minder niets iets iemand iedereen niemand zelf ander andere anders
        daarom daarna daardoor daarin daarop
        ik jij je u hij zij ze wij we jullie mij me jou hem haar ons hen hun zich mijn jouw
        zijn onze uw
        wie wat welke welk waar wanneer hoe waarom
        aan bij door in op uit van voor met naar over onder tot tegen tussen zonder na om te
        tijdens vanaf sinds
        en of maar want dus als omdat hoewel terwijl
        ben bent is was waren geweest zou zouden
        hebben heb hebt heeft had hadden gehad
        worden word wordt werd werden geworden
        kunnen kan kun kunt kon konden moeten moet moest zullen zal zult wil willen wilde mag
        mogen
        niet ook nog al wel erg zeer zo ja nee hier daar er nu dan toen altijd nooit weer heel
        even gewoon toch nou eens alleen bijna echter eigenlijk misschien
        """
    ),
}
